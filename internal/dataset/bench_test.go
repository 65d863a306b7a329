package dataset

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchRows is the size of the benchmark file: 1,000,000 rows of x,y.
const benchRows = 1_000_000

// writeBenchCSV writes a header and benchRows rows of x,y with 8 decimals
// (about 26 bytes a row, 26 MB) and returns the path and size.
func writeBenchCSV(b *testing.B) (string, int64) {
	b.Helper()
	s, err := Synthetic(context.Background(), benchRows, 2, 1, 0.5, 1)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("x,y\n")
	var line []byte
	for i := range benchRows {
		line = strconv.AppendFloat(line[:0], s.XY[2*i]*25, 'f', 8, 64)
		line = append(line, ',')
		line = strconv.AppendFloat(line, s.XY[2*i+1]*25, 'f', 8, 64)
		line = append(line, '\n')
		w.Write(line)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkLoadCSV loads a 1,000,000-row x,y file, SHA-256 included.
func BenchmarkLoadCSV(b *testing.B) {
	path, size := writeBenchCSV(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		s, err := LoadCSV(context.Background(), path, Columns{})
		if err != nil || s.Rows() != benchRows {
			b.Fatalf("LoadCSV: %v", err)
		}
	}
}

// BenchmarkLoadCSVEncodingCSV is the peer: encoding/csv with ReuseRecord
// and strconv.ParseFloat into one []float64, no hashing.
func BenchmarkLoadCSVEncodingCSV(b *testing.B) {
	path, size := writeBenchCSV(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		xy, err := loadEncodingCSV(path)
		if err != nil || len(xy) != 2*benchRows {
			b.Fatalf("encoding/csv: %d values, %v", len(xy), err)
		}
	}
}

func loadEncodingCSV(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		return nil, err
	}
	var xy []float64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return xy, nil
		}
		if err != nil {
			return nil, err
		}
		for _, field := range rec {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				return nil, err
			}
			xy = append(xy, v)
		}
	}
}
