package service

import (
	"fmt"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// TestRequestCacheBounded: the cache keeps at most its count of requests
// and its weight of files, comments and events, dropping the least
// recently used, and its weight adds up.
func TestRequestCacheBounded(t *testing.T) {
	withFiles := func(n int) *domain.Request {
		return &domain.Request{Files: make([]domain.RequestFile, n)}
	}
	tests := []struct {
		name           string
		max, maxWeight int
		puts           []int // files of each request put, ids r0, r1, …
		want           []string
	}{
		{"count", 2, 1000, []int{1, 1, 1}, []string{"r1", "r2"}},
		{"weight", 10, 100, []int{40, 40, 40}, []string{"r1", "r2"}},
		{"one huge request stays alone", 10, 100, []int{10, 500}, []string{"r1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRequestCache(tt.max, tt.maxWeight)
			for i, n := range tt.puts {
				c.put(fmt.Sprintf("r%d", i), store.Stamp{Version: 1}, withFiles(n), []domain.Event{{ID: 1}})
			}
			var got []string
			sum := 0
			for i := range tt.puts {
				id := fmt.Sprintf("r%d", i)
				if e := c.get(id, store.Stamp{Version: 1}); e.req != nil {
					got = append(got, id)
					sum += e.weight()
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			if sum != c.weight {
				t.Errorf("weight %d, entries weigh %d", c.weight, sum)
			}
		})
	}
}
