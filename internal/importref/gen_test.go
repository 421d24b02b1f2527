package importref

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The reference's tables, as its migrations create them (the fixture's
// sqlite_master); genReordered has the request table's columns in
// another order, as a long-lived installation's rebuilt tables may.
const (
	genRequestTable = `CREATE TABLE "local_db_requestmetadata" ("id" text NOT NULL PRIMARY KEY, "workspace" text NOT NULL, "author" text NOT NULL, "created_at" datetime NOT NULL, "status" text NOT NULL, "review_turn" integer NOT NULL, "turn_reviewers" text NULL, "submitted_reviews" text NOT NULL CHECK ((JSON_VALID("submitted_reviews") OR "submitted_reviews" IS NULL)), "organisations" text NOT NULL, "project" text NOT NULL, "last_submitted_at" datetime NULL)`
	genReordered    = `CREATE TABLE "local_db_requestmetadata" ("last_submitted_at" datetime NULL, "project" text NOT NULL, "id" text NOT NULL PRIMARY KEY, "submitted_reviews" text NOT NULL, "status" text NOT NULL, "organisations" text NOT NULL, "workspace" text NOT NULL, "turn_reviewers" text NULL, "author" text NOT NULL, "review_turn" integer NOT NULL, "created_at" datetime NOT NULL)`
	genOtherTables  = `
CREATE TABLE "local_db_filegroupmetadata" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" text NOT NULL, "request_id" text NOT NULL REFERENCES "local_db_requestmetadata" ("id") DEFERRABLE INITIALLY DEFERRED, "context" text NOT NULL, "controls" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL);
CREATE TABLE "local_db_requestfilemetadata" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "relpath" text NOT NULL, "filegroup_id" bigint NOT NULL REFERENCES "local_db_filegroupmetadata" ("id") DEFERRABLE INITIALLY DEFERRED, "file_id" text NOT NULL, "filetype" text NOT NULL, "request_id" text NOT NULL REFERENCES "local_db_requestmetadata" ("id") DEFERRABLE INITIALLY DEFERRED, "col_count" integer NULL, "commit" text NOT NULL, "job_id" text NOT NULL, "row_count" integer NULL, "size" integer NOT NULL, "timestamp" real NOT NULL, "repo" varchar(200) NOT NULL, "released_at" datetime NULL, "released_by" text NULL, "upload_attempts" integer NOT NULL, "uploaded" bool NOT NULL, "uploaded_at" datetime NULL, "upload_attempted_at" datetime NULL);
CREATE TABLE "local_db_filereview" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "reviewer" text NOT NULL, "status" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "file_id" bigint NOT NULL REFERENCES "local_db_requestfilemetadata" ("id") DEFERRABLE INITIALLY DEFERRED, "review_turn" integer NOT NULL);
CREATE TABLE "local_db_filegroupcomment" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "comment" text NOT NULL, "author" text NOT NULL, "created_at" datetime NOT NULL, "filegroup_id" bigint NOT NULL REFERENCES "local_db_filegroupmetadata" ("id") DEFERRABLE INITIALLY DEFERRED, "visibility" text NOT NULL, "review_turn" integer NOT NULL);
CREATE TABLE "local_db_auditlog" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "type" text NOT NULL, "user" text NOT NULL, "workspace" text NULL, "request" text NULL, "path" text NULL, "extra" text NOT NULL CHECK ((JSON_VALID("extra") OR "extra" IS NULL)), "created_at" datetime NOT NULL, "hidden" bool NOT NULL);
CREATE TABLE "users_user" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "user_id" text NOT NULL PRIMARY KEY, "api_data" text NOT NULL CHECK ((JSON_VALID("api_data") OR "api_data" IS NULL)), "last_refresh" real NOT NULL);`
)

// genOptions shape a generated reference installation.
type genOptions struct {
	Requests   int  // how many; their statuses cycle through genStatuses
	Files      int  // files per request (at least 3)
	Views      int  // extra REQUEST_FILE_VIEW rows per request
	Reordered  bool // the request table's columns in another order
	Workspaces int  // how many workspaces the requests spread over (default 5)
}

// genStatuses are the statuses generated requests cycle through; a
// RETURNED request at an odd index was returned early (hidden rows).
var genStatuses = []string{"PENDING", "SUBMITTED", "PARTIALLY_REVIEWED", "REVIEWED", "RETURNED",
	"APPROVED", "REJECTED", "WITHDRAWN", "RELEASED", "RETURNED"}

// genResult says what was generated.
type genResult struct {
	WorkDir   string
	Requests  []string          // ids
	Status    map[string]string // by id
	Blobs     []string          // every copy's path
	Comments  map[string]int    // by visibility
	Events    int
	MidUpload int // released files not uploaded (of APPROVED requests)
}

// refTimeText writes a time as the reference does: naive UTC, the
// fraction left out at a whole second.
func refTimeText(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// generate writes a reference installation into dir: workdir/db.sqlite3
// and its copies under workdir/requests/<workspace>/<request>/<sha256>.
func generate(t testing.TB, dir string, o genOptions) genResult {
	t.Helper()
	if o.Files < 3 {
		o.Files = 3
	}
	if o.Workspaces == 0 {
		o.Workspaces = 5
	}
	work := filepath.Join(dir, "workdir")
	if err := os.MkdirAll(filepath.Join(work, "requests"), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(work, "db.sqlite3")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ddl := genRequestTable
	if o.Reordered {
		ddl = genReordered
	}
	if _, err := db.Exec(ddl + ";" + genOtherTables); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	must := func(res sql.Result, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	res := genResult{WorkDir: work, Status: map[string]string{}, Comments: map[string]int{}}
	clock := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	tick := func(d time.Duration) string { clock = clock.Add(d); return refTimeText(clock) }
	event := func(typ, user, ws, req, path string, extra map[string]string, hidden bool) {
		x, _ := json.Marshal(extra)
		// The reference writes extra ASCII-escaped.
		esc := strings.NewReplacer("\u2014", `\u2014`, "é", `\u00e9`).Replace(string(x))
		var wsv, reqv, pathv any
		if ws != "" {
			wsv = ws
		}
		if req != "" {
			reqv = req
		}
		if path != "" {
			pathv = path
		}
		must(tx.Exec(`INSERT INTO local_db_auditlog (type, "user", workspace, request, path, extra, created_at, hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			typ, user, wsv, reqv, pathv, esc, tick(1500*time.Millisecond+time.Duration(len(res.Requests)%7)*time.Microsecond), hidden))
		res.Events++
	}
	users := []string{"c1", "c2", "c3"}
	for _, u := range users {
		data := fmt.Sprintf(`{"username": %q, "fullname": "Checker %s", "output_checker": true, "workspaces": {}, "copiloted_workspaces": {}}`, u, u)
		must(tx.Exec(`INSERT INTO users_user (password, last_login, user_id, api_data, last_refresh) VALUES ('', ?, ?, ?, ?)`,
			tick(time.Second), u, data, 1.7e9+0.25))
	}
	for i := range o.Requests {
		status := genStatuses[i%len(genStatuses)]
		early := status == "RETURNED" && i%2 == 1
		ws := fmt.Sprintf("workspace-%d", i%o.Workspaces)
		author := fmt.Sprintf("researcher-%d", i)
		id := fmt.Sprintf("01J%023d", i)
		res.Requests = append(res.Requests, id)
		res.Status[id] = status
		data := fmt.Sprintf(`{"username": %q, "fullname": "R %d", "output_checker": false, "workspaces": {%q: {"project_details": {"name": "P", "ongoing": true, "orgs": ["Org A", "Org B"]}, "archived": false}}, "copiloted_workspaces": {}}`, author, i, ws)
		must(tx.Exec(`INSERT INTO users_user (password, last_login, user_id, api_data, last_refresh) VALUES ('', NULL, ?, ?, ?)`,
			author, data, 1.7e9+float64(i)))
		created := tick(time.Minute)
		event("REQUEST_CREATE", author, ws, id, "", map[string]string{}, false)
		turn, turnReviewers, submitted := 0, sql.NullString{}, map[string]string{}
		var lastSubmitted any
		reviewed := map[string]bool{}
		switch status {
		case "PENDING", "WITHDRAWN":
		case "SUBMITTED":
			turn = 1
		case "PARTIALLY_REVIEWED":
			turn, reviewed["c1"] = 1, true
		case "REVIEWED", "APPROVED", "REJECTED", "RELEASED":
			turn, reviewed["c1"], reviewed["c2"] = 1, true, true
		case "RETURNED":
			turn = 2
			if early {
				turnReviewers = sql.NullString{String: "c1", Valid: true}
			} else {
				turnReviewers = sql.NullString{String: "c1,c2", Valid: true}
			}
		}
		if turn > 0 && turnReviewers.String == "" {
			turnReviewers = sql.NullString{String: "", Valid: true}
		}
		groups := []string{"tables", "figures"}
		gids := map[string]int64{}
		for _, g := range groups {
			gids[g] = must(tx.Exec(`INSERT INTO local_db_filegroupmetadata (name, request_id, context, controls, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				g, id, "Context for "+g+" — é", "Rounded to 5", created, tick(time.Second)))
		}
		reqDir := filepath.Join(work, "requests", ws, id)
		if err := os.MkdirAll(reqDir, 0o755); err != nil {
			t.Fatal(err)
		}
		var outputs []struct {
			fid  int64
			path string
		}
		for j := range o.Files {
			g := groups[j%2]
			relpath := fmt.Sprintf("output/%s/file_%d.csv", g, j)
			content := fmt.Sprintf("request %d file %d\n", i, j)
			if j == 1 { // two paths share one copy
				content = fmt.Sprintf("request %d file 0\n", i)
			}
			sum := sha256.Sum256([]byte(content))
			sha := hex.EncodeToString(sum[:])
			blob := filepath.Join(reqDir, sha)
			if _, err := os.Stat(blob); err != nil {
				if err := os.WriteFile(blob, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				res.Blobs = append(res.Blobs, blob)
			}
			filetype := "OUTPUT"
			switch {
			case j == 2:
				filetype = "SUPPORTING"
			case j == 3 && status == "RETURNED":
				filetype = "WITHDRAWN"
			}
			var releasedAt, releasedBy, uploadedAt, attemptedAt any
			uploaded, attempts := false, 0
			if filetype == "OUTPUT" && (status == "APPROVED" || status == "RELEASED") {
				releasedAt, releasedBy = tick(time.Second), "c2"
				attempts, attemptedAt = 1, tick(time.Second)
				if status == "RELEASED" || j%2 == 0 {
					uploaded, uploadedAt = true, tick(time.Second)
				} else {
					attempts = 2
					res.MidUpload++
				}
			}
			var rows any = 10 + j
			if j%3 == 2 {
				rows = nil
			}
			fid := must(tx.Exec(`INSERT INTO local_db_requestfilemetadata (relpath, filegroup_id, file_id, filetype, request_id, col_count, "commit", job_id, row_count, size, timestamp, repo, released_at, released_by, upload_attempts, uploaded, uploaded_at, upload_attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				relpath, gids[g], sha, filetype, id, rows, "abc123", fmt.Sprintf("job%d", j), rows, len(content), 1.7e9+float64(j)+0.5,
				"https://github.com/opensafely/x", releasedAt, releasedBy, attempts, uploaded, uploadedAt, attemptedAt))
			event("REQUEST_FILE_ADD", author, ws, id, relpath, map[string]string{"group": g, "filetype": filetype, "review_turn": "0"}, false)
			if filetype != "SUPPORTING" {
				outputs = append(outputs, struct {
					fid  int64
					path string
				}{fid, relpath})
			}
		}
		for k := range o.Views {
			event("REQUEST_FILE_VIEW", "c3", ws, id, groups[k%2]+"/"+outputs[k%len(outputs)].path, map[string]string{"group": groups[k%2], "review_turn": fmt.Sprint(turn)}, false)
		}
		if turn > 0 {
			lastSubmitted = tick(time.Minute)
			event("REQUEST_SUBMIT", author, ws, id, "", map[string]string{"review_turn": "0"}, false)
		}
		// Votes: each reviewer of the turn (or of the returned turn).
		voters := []string{}
		for r := range reviewed {
			voters = append(voters, r)
		}
		if status == "RETURNED" {
			voters = strings.Split(turnReviewers.String, ",")
		}
		if status == "SUBMITTED" {
			voters = []string{"c1"} // voted, not yet submitted
		}
		for _, v := range voters {
			vt := 1
			for k, f := range outputs {
				vote := "APPROVED"
				if status == "REJECTED" || (status == "RETURNED" && k == 0) {
					vote = "CHANGES_REQUESTED"
				}
				if early {
					vote, vt = "UNDECIDED", 1
				}
				when := tick(time.Second)
				must(tx.Exec(`INSERT INTO local_db_filereview (reviewer, status, created_at, updated_at, file_id, review_turn) VALUES (?, ?, ?, ?, ?, ?)`,
					v, vote, when, when, f.fid, vt))
				event("REQUEST_FILE_APPROVE", v, ws, id, f.path, map[string]string{"group": "tables", "review_turn": "1"}, early)
			}
			if reviewed[v] || status == "RETURNED" {
				at := clock.Add(time.Second)
				tick(time.Second)
				if reviewed[v] {
					submitted[v] = at.Format("2006-01-02T15:04:05.000000+00:00")
				}
				event("REQUEST_REVIEW", v, ws, id, "", map[string]string{"review_turn": "1"}, false)
			}
		}
		// Comments of every visibility, in this turn and the last.
		for k, vis := range []string{"PUBLIC", "PRIVATE", "PUBLIC"} {
			if status == "PENDING" && vis == "PRIVATE" {
				continue
			}
			text := fmt.Sprintf("Comment %d on %s — with *markdown* and é", k, id)
			ctime := tick(time.Second)
			if k == 2 {
				ctime = refTimeText(clock.Truncate(time.Second).Add(time.Second)) // a whole second
				clock = clock.Truncate(time.Second).Add(time.Second)
			}
			must(tx.Exec(`INSERT INTO local_db_filegroupcomment (comment, author, created_at, filegroup_id, visibility, review_turn) VALUES (?, ?, ?, ?, ?, ?)`,
				text, "c1", ctime, gids[groups[k%2]], vis, min(turn, 1)))
			res.Comments[vis]++
			event("REQUEST_COMMENT", "c1", ws, id, "", map[string]string{"group": groups[k%2], "comment": text, "review_turn": fmt.Sprint(min(turn, 1)), "visibility": vis}, false)
		}
		switch status {
		case "RETURNED":
			if early {
				event("REQUEST_EARLY_RETURN", "c1", ws, id, "", map[string]string{"review_turn": "1"}, false)
			}
			event("REQUEST_RETURN", "c1", ws, id, "", map[string]string{"review_turn": "1"}, false)
		case "WITHDRAWN":
			event("REQUEST_WITHDRAW", author, ws, id, "", map[string]string{"review_turn": "0"}, false)
		case "APPROVED", "RELEASED":
			event("REQUEST_APPROVE", "c2", ws, id, "", map[string]string{"review_turn": "1"}, false)
		}
		event("WORKSPACE_FILE_VIEW", author, ws, "", "output/x.csv", map[string]string{}, false)
		sr, _ := json.Marshal(submitted)
		must(tx.Exec(`INSERT INTO local_db_requestmetadata (id, workspace, author, created_at, status, review_turn, turn_reviewers, submitted_reviews, organisations, project, last_submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ws, author, created, status, turn, turnReviewers, string(sr), "Org A,Org B", "P", lastSubmitted))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return res
}

func openRW(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) }

// TestGenerateForMeasure writes a generated reference installation into
// $AIRLOCK_REFGEN_DIR (kept), for measuring `airlock import reference`
// on it (README, "Benchmarks"): $AIRLOCK_REFGEN_REQUESTS requests (default
// 2,000) of $AIRLOCK_REFGEN_FILES files (default 10) and
// $AIRLOCK_REFGEN_VIEWS extra audit rows each (default 40).
func TestGenerateForMeasure(t *testing.T) {
	dir := os.Getenv("AIRLOCK_REFGEN_DIR")
	if dir == "" {
		t.Skip("AIRLOCK_REFGEN_DIR is not set")
	}
	n := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return v
		}
		return def
	}
	gen := generate(t, dir, genOptions{Requests: n("AIRLOCK_REFGEN_REQUESTS", 2000), Files: n("AIRLOCK_REFGEN_FILES", 10),
		Views: n("AIRLOCK_REFGEN_VIEWS", 40), Workspaces: 50})
	t.Logf("generated %d requests, %d copies, %d audit rows in %s", len(gen.Requests), len(gen.Blobs), gen.Events, gen.WorkDir)
}
