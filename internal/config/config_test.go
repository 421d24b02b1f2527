package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocate(t *testing.T) {
	work := filepath.Join(string(filepath.Separator), "srv", "work")
	tests := []struct {
		name, url string
		want      Location
		wantErr   string
	}{
		{"default", "", Location{SQLitePath: filepath.Join(work, "airlock.db")}, ""},
		{"sqlite relative", "sqlite:db/a.db", Location{SQLitePath: filepath.Join(work, "db", "a.db")}, ""},
		{"sqlite absolute", "sqlite:/data/a.db", Location{SQLitePath: "/data/a.db"}, ""},
		{"sqlite two slashes", "sqlite://data/a.db", Location{SQLitePath: filepath.Join(work, "data", "a.db")}, ""},
		// dj_database_url's forms (OpenSAFELY Airlock's AIRLOCK_DATABASE_URL).
		{"dj relative", "sqlite:///db.sqlite3", Location{SQLitePath: filepath.Join(work, "db.sqlite3")}, ""},
		{"dj relative folder", "sqlite:///data/a.db", Location{SQLitePath: filepath.Join(work, "data", "a.db")}, ""},
		{"dj absolute", "sqlite:////data/a.db", Location{SQLitePath: "/data/a.db"}, ""},
		{"dj empty", "sqlite:///", Location{}, "names no file"},
		{"sqlite empty", "sqlite:", Location{}, "names no file"},
		{"postgres", "postgres://u:pw@db:5432/airlock", Location{PostgresURL: "postgres://u:pw@db:5432/airlock"}, ""},
		{"postgresql", "postgresql:///airlock?host=/run/pg", Location{PostgresURL: "postgresql:///airlock?host=/run/pg"}, ""},
		{"bad postgres URL", "postgres://u:p%zz@db/airlock", Location{}, "does not parse"},
		{"other scheme", "mysql://u:secret@db/airlock", Location{}, "neither sqlite:PATH nor a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Database{WorkDir: work, DatabaseURL: tt.url}
			got, err := d.Locate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "AIRLOCK_DATABASE_URL") {
					t.Fatalf("Locate() error = %v, want one naming AIRLOCK_DATABASE_URL and saying %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "p%zz") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Locate() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := (&Database{}).Locate(); err == nil || !strings.Contains(err.Error(), "AIRLOCK_WORK_DIR") {
		t.Errorf("empty work dir: %v", err)
	}
}

func TestLocationString(t *testing.T) {
	tests := []struct {
		loc  Location
		want string
	}{
		{Location{SQLitePath: "/a/b.db"}, "/a/b.db"},
		{Location{PostgresURL: "postgres://u:pw@h/db"}, "postgres://u:xxxxx@h/db"},
		{Location{PostgresURL: "postgres://h/db"}, "postgres://h/db"},
	}
	for _, tt := range tests {
		if got := tt.loc.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"02:30", 2*time.Hour + 30*time.Minute, true},
		{"2:30", 2*time.Hour + 30*time.Minute, true},
		{"00:00", 0, true},
		{"23:59", 23*time.Hour + 59*time.Minute, true},
		{"2h", 2 * time.Hour, true}, // the worker's older form
		{"13h45m12s", 13*time.Hour + 45*time.Minute + 12*time.Second, true},
		{"24:00", 0, false},
		{"12:60", 0, false},
		{"12:5", 0, false},
		{"+1:30", 0, false},
		{"-1:30", 0, false},
		{"1:30:00", 0, false},
		{":30", 0, false},
		{"24h", 0, false},
		{"-1h", 0, false},
		{"half past two", 0, false},
	} {
		got, err := ParseTimeOfDay(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestRegularAtIsValidated(t *testing.T) {
	s := Server{RegularAt: "25:00"}
	if _, _, err := s.RegularTime(); err == nil || !strings.Contains(err.Error(), "AIRLOCK_REGULAR_AT (--regular-at)") {
		t.Errorf("a bad time: %v", err)
	}
	s.RegularAt = ""
	if _, set, err := s.RegularTime(); set || err != nil {
		t.Errorf("unset: %v, %v", set, err)
	}
}
