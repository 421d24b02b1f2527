# The commands of the README, by name. CI runs .ci/run, which calls the
# same ones (and the race detector and the fuzz targets).

.PHONY: test test-short lint bench demo ci

# Every test (the PostgreSQL ones when AIRLOCK_TEST_DATABASE_URL is set).
test:
	go test ./...

# Every test but the slow ones (the README's examples, the big files).
test-short:
	go test -short ./...

# gofmt, go vet and staticcheck (installed at its pinned version if missing).
lint:
	bash .ci/lint

# Lifecycles/s against a bare write transaction, and the folder page of
# 100,000 outputs (README, "Benchmarks", has the others).
bench:
	go test ./internal/service/ -run '^$$' -bench .

# Example workspaces and users in ./demo, served at http://127.0.0.1:8000/.
demo:
	go run ./cmd/airlock demo

# What CI runs.
ci:
	bash .ci/run
