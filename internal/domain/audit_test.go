package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Event {
	var out []Event
	prev := ""
	for i := 1; i <= n; i++ {
		e := Event{ID: int64(i), Type: EventRequestComment, User: "u", Workspace: "ws", Request: "r",
			Extra: map[string]string{"review_turn": "1", "group": "g"}, CreatedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)}
		e.PrevHash = prev
		e.Hash = e.ChainHash(prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestVerifyChain(t *testing.T) {
	if err := VerifyChain(chain(5)); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	tests := []struct {
		name   string
		tamper func([]Event) []Event
		want   string
	}{
		{"changed user", func(es []Event) []Event { es[2].User = "mallory"; return es }, "audit event 3: its content"},
		{"changed extra", func(es []Event) []Event { es[1].Extra["group"] = "h"; return es }, "audit event 2: its content"},
		{"changed time", func(es []Event) []Event { es[3].CreatedAt = es[3].CreatedAt.Add(time.Second); return es }, "audit event 4: its content"},
		{"removed", func(es []Event) []Event { return append(es[:2], es[3:]...) }, "audit event 4: does not follow"},
		{"reordered", func(es []Event) []Event {
			es[1], es[2] = es[2], es[1]
			es[1].ID, es[2].ID = 2, 3
			return es
		}, "audit event 2"},
		{"hidden without early return", func(es []Event) []Event { es[0].Hidden = true; return es }, "audit event 1: hidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyChain(tt.tamper(chain(5)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	es := chain(3)
	es[0].Hidden = true
	early := Event{ID: 4, Type: EventRequestEarlyReturn, Request: "r", Extra: map[string]string{"review_turn": "1"}, CreatedAt: es[2].CreatedAt}
	early.PrevHash = es[2].Hash
	early.Hash = early.ChainHash(early.PrevHash)
	if err := VerifyChain(append(es, early)); err != nil {
		t.Errorf("hidden by an early return: %v", err)
	}
}

func TestFormatEvent(t *testing.T) {
	e := Event{Type: EventRequestFileAdd, User: "alice", Workspace: "ws", Request: "r1", Path: "a.csv",
		Extra: map[string]string{"group": "g", "filetype": "OUTPUT"}, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), Hidden: true}
	got := FormatEvent(e)
	want := "2026-01-02T03:04:05Z: REQUEST_FILE_ADD                   user=alice workspace=ws request=r1 path=a.csv filetype=OUTPUT group=g hidden=True"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestEveryEventTypeHasALabel(t *testing.T) {
	// Spec §1.11 has 25; airlock adds REQUEST_FILE_CHECKS_OVERRIDE
	// (disclosure checks overridden by the author).
	if len(EventTypes()) != 26 {
		t.Errorf("%d event types, want OpenSAFELY Airlock's 25 (docs/lifecycle.md, The audit log) and REQUEST_FILE_CHECKS_OVERRIDE", len(EventTypes()))
	}
	for _, et := range EventTypes() {
		if et.Label() == string(et) {
			t.Errorf("%s has no label", et)
		}
	}
}

// TestVerifyChainReportsEveryBadEvent: a bad event early in the log never
// hides tampering later on.
func TestVerifyChainReportsEveryBadEvent(t *testing.T) {
	es := chain(8)
	es[1].Extra["group"] = "changed" // content of 2
	es[4].User = "mallory"           // content of 5
	es = append(es[:6], es[7:]...)   // 7 removed: 8 no longer follows
	es[0].Hidden = true              // 1 hidden without an early return
	err := VerifyChain(es)
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("VerifyChain = %v, want a *ChainError", err)
	}
	var got []int64
	for _, p := range ce.Problems {
		got = append(got, p.ID)
	}
	if want := []int64{1, 2, 5, 8}; !slices.Equal(got, want) {
		t.Fatalf("problems name events %v, want %v:\n%v", got, want, err)
	}
	for _, want := range []string{"audit event 2: its content", "audit event 5: its content", "audit event 8: does not follow", "audit event 1: hidden"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}

// TestChainVerifierOneAtATime: events hidden before their turn's early
// return (which comes after them in the log) are judged once the log has
// been read; the verifier counts what it was given.
func TestChainVerifierOneAtATime(t *testing.T) {
	rehash := func(es []Event) {
		prev := ""
		for i := range es {
			es[i].PrevHash, es[i].Hash = prev, es[i].ChainHash(prev)
			prev = es[i].Hash
		}
	}
	es := chain(6)
	es[1].Hidden, es[2].Hidden = true, true
	es[4].Type = EventRequestEarlyReturn // of turn 1 of request r, after the hidden ones
	rehash(es)
	var v ChainVerifier
	for _, e := range es {
		v.Add(e)
	}
	if err := v.Err(); err != nil || v.Count() != 6 {
		t.Fatalf("hidden before a later early return: %v (%d events)", err, v.Count())
	}

	es[4].Extra["review_turn"] = "2" // the early return is of another turn
	rehash(es)
	v = ChainVerifier{}
	for _, e := range es {
		v.Add(e)
	}
	var ce *ChainError
	if err := v.Err(); !errors.As(err, &ce) || len(ce.Problems) != 2 || ce.Problems[0].ID != 2 || ce.Problems[1].ID != 3 {
		t.Fatalf("hidden without an early return of its turn: %v", err)
	}
}
