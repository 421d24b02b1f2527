package main

import (
	"slices"
	"testing"
)

func TestDjangoSettings(t *testing.T) {
	got := djangoSettings([]string{"DJANGO_SECRET_KEY=x", "AIRLOCK_WORK_DIR=/w", "DJANGO_DEBUG=", "XDJANGO_Y=1", "DJANGO_ALLOWED_HOSTS=a=b"})
	if want := []string{"DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG", "DJANGO_SECRET_KEY"}; !slices.Equal(got, want) {
		t.Errorf("djangoSettings = %q, want %q", got, want)
	}
	if got := djangoSettings([]string{"HOME=/root"}); len(got) != 0 {
		t.Errorf("no Django settings: %q", got)
	}
}
