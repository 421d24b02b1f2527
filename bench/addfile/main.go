// Command addfile adds one file to a blobstore, as airlock does when a file
// is added to a release request, and prints the sha256 and size it stored.
// bench/add-file.sh times it against cp + sha256sum.
//
//	addfile [-workspace NAME] [-want HASH] ROOT FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
)

func main() {
	workspace := flag.String("workspace", "bench", "workspace folder under ROOT")
	want := flag.String("want", "", "expected sha256 (the manifest's content_hash); empty: not checked")
	verbose := flag.Bool("v", false, "also print the time Put took, on stderr")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: addfile [-workspace NAME] [-want HASH] [-v] ROOT FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*workspace, *want, flag.Arg(0), flag.Arg(1), *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "addfile:", err)
		os.Exit(1)
	}
}

func run(workspace, want, root, file string, verbose bool) error {
	s, err := blobstore.New(root)
	if err != nil {
		return err
	}
	defer s.Close()
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	sha, size, err := s.Put(context.Background(), workspace, f, want)
	if err != nil {
		return err
	}
	if verbose {
		fmt.Fprintf(os.Stderr, "put: %s\n", time.Since(start))
	}
	fmt.Printf("%s  %d\n", sha, size)
	return nil
}
