package train_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/agentdash/agentdash/internal/train"
)

func ExampleTrain() {
	cfg := train.DefaultConfig() // 8 epochs on y = 2x + 1 + noise
	cfg.Checkpoint = ""          // do not save
	res, err := train.Train(context.Background(), cfg, func(e train.Event) {
		if e.Epoch == 1 || e.Epoch%4 == 0 {
			fmt.Printf("epoch %d/%d: loss %.4f (optimum %.4f)\n", e.Epoch, e.Epochs, e.TrainLoss, e.OptimalLoss)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: y = %.2f·x + %.2f\n", res.StopReason, res.Weights[0], res.Bias)
	// Output:
	// epoch 1/8: loss 0.0120 (optimum 0.0102)
	// epoch 4/8: loss 0.0104 (optimum 0.0102)
	// epoch 8/8: loss 0.0103 (optimum 0.0102)
	// completed: y = 2.00·x + 1.00
}

func ExampleStart() {
	cfg := train.DefaultConfig()
	cfg.Checkpoint, cfg.Epochs = "", 50
	run, err := train.Start(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	// A consumer such as a UI wakes on Updates and reads the newest state;
	// if it is slow, events coalesce and training does not wait for it.
	for done := false; !done; {
		select {
		case <-run.Updates():
			if ev, ok := run.Latest(); ok {
				_ = ev // draw ev.Epoch, ev.TrainLoss, ev.Weights...
			}
		case <-run.Done():
			done = true
		}
	}
	res, err := run.Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s after %d epochs, %d losses in the history\n", res.StopReason, res.Epochs, res.History.Len())
	// Output:
	// completed after 50 epochs, 50 losses in the history
}

func ExampleCheckpoint_Predict() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := train.DefaultConfig()
	cfg.Checkpoint = filepath.Join(dir, "model.json")
	if _, err := train.Train(context.Background(), cfg, nil); err != nil {
		log.Fatal(err)
	}
	ck, err := train.LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	y, err := ck.Predict([]float64{4})
	fmt.Printf("y(4) = %.1f, %v\n", y, err)
	_, err = ck.Predict([]float64{4, 5})
	fmt.Println(err)
	// Output:
	// y(4) = 9.0, <nil>
	// the model takes 1 feature(s) (x), got 2 value(s)
}
