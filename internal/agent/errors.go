package agent

import (
	"errors"

	"github.com/agentdash/agentdash/internal/breaker"
)

// Outcome classifies how a call ended.
type Outcome int8

// The outcomes of a call. NumOutcomes is the number of outcomes, for arrays
// indexed by Outcome.
const (
	// OutcomeSuccess: the ability returned a result (or the cache had one).
	OutcomeSuccess Outcome = iota
	// OutcomeFailure: the ability returned an error, panicked, or an
	// injected fault failed it.
	OutcomeFailure
	// OutcomeTimeout: the ability did not return within its timeout.
	OutcomeTimeout
	// OutcomeRejected: no concurrency slot became free within MaxWait.
	OutcomeRejected
	// OutcomeShortCircuited: the ability's circuit breaker is open.
	OutcomeShortCircuited
	// OutcomeBadArgs: the arguments do not satisfy the schema, the ability
	// rejected them (an error wrapping ErrBadArgs), or the ability does not
	// exist.
	OutcomeBadArgs
	// OutcomeCanceled: the caller's context ended first, or the agent was
	// closed.
	OutcomeCanceled
	// NumOutcomes is the number of outcomes.
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"success", "failure", "timeout", "rejected", "short_circuited", "bad_args", "canceled"}

// String returns the outcome's metric label: "success", "failure",
// "timeout", "rejected", "short_circuited", "bad_args" or "canceled".
func (o Outcome) String() string {
	if o < 0 || o >= NumOutcomes {
		return "unknown"
	}
	return outcomeNames[o]
}

// breakerOutcome maps a call outcome to what the circuit breaker counts:
// only the ability's own failures and timeouts count against it.
func (o Outcome) breakerOutcome() breaker.Outcome {
	switch o {
	case OutcomeSuccess:
		return breaker.Success
	case OutcomeFailure, OutcomeTimeout:
		return breaker.Failure
	}
	return breaker.Ignored
}

// Sentinel errors, wrapped in a *CallError; test with errors.Is.
var (
	// ErrUnknownAbility: no ability has the name; the error lists the known
	// names.
	ErrUnknownAbility = errors.New("unknown ability")
	// ErrBadArgs: the arguments do not satisfy the ability's schema (the
	// error then also wraps a *schema.FieldError naming the argument), or
	// the ability returned an error wrapping ErrBadArgs.
	ErrBadArgs = errors.New("bad arguments")
	// ErrOpen: the ability's circuit breaker rejected the call. The error
	// wraps a *breaker.OpenError with the state and cooldown remaining.
	ErrOpen = breaker.ErrOpen
	// ErrRejected: the concurrency limit stayed full for MaxWait.
	ErrRejected = errors.New("rejected: concurrency limit reached")
	// ErrTimeout: the ability did not return within its timeout.
	ErrTimeout = errors.New("timed out")
	// ErrPanic: the ability panicked; the error contains the panic value.
	ErrPanic = errors.New("ability panicked")
	// ErrFault: an injected fault (see Agent.SetFault) failed the call.
	ErrFault = errors.New("injected fault")
	// ErrClosed: the agent has been closed.
	ErrClosed = errors.New("agent is closed")
)

// CallError is the error returned by Agent.Call. Its message names the
// ability, e.g. `call sum: bad arguments: argument "a": want number, got
// string`.
type CallError struct {
	Ability string  // the name called
	Outcome Outcome // never OutcomeSuccess
	Err     error   // the cause: one of the package's sentinel errors, or the ability's own error
}

// Error returns "call NAME: " followed by the cause.
func (e *CallError) Error() string { return "call " + e.Ability + ": " + e.Err.Error() }

// Unwrap returns the cause, so errors.Is and errors.As see the sentinel
// errors and the wrapped *schema.FieldError or *breaker.OpenError.
func (e *CallError) Unwrap() error { return e.Err }
