// Command counttable writes a realistic table of counts, as a study's
// output CSV is: labels (region, year, age band, sex), counts (mostly
// rounded to a multiple of 5, some redacted, now and then a small or an
// unrounded one) and a rate; about 38 bytes a row, so 512 MiB is about
// 14 million rows. The same size gives the same bytes.
//
//	go run ./bench/counttable [-size 512MiB] FILE
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	size := flag.String("size", "512MiB", "size of the table: bytes, or a number with KiB, MiB or GiB")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: counttable [-size 512MiB] FILE")
		os.Exit(2)
	}
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "counttable:", err)
		os.Exit(2)
	}
	if err := write(flag.Arg(0), n); err != nil {
		fmt.Fprintln(os.Stderr, "counttable:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a whole number of bytes, KiB, MiB or GiB", s)
	}
	return n * mult, nil
}

var (
	regions = []string{"North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
		"East", "London", "South East", "South West", "Wales"}
	bands = []string{"0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"}
	sexes = []string{"F", "M"}
)

// row appends data row i.
func row(b []byte, i int) []byte {
	b = append(b, regions[i%len(regions)]...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(2015+i/len(regions)%10), 10)
	b = append(b, ',')
	b = append(b, bands[i/7%len(bands)]...)
	b = append(b, ',')
	b = append(b, sexes[i/3%2]...)
	b = append(b, ',')
	switch {
	case i%10 == 3:
		b = append(b, "[REDACTED]"...)
	case i%997 == 0:
		b = strconv.AppendInt(b, int64(1+i%7), 10) // small
	case i%991 == 0:
		b = strconv.AppendInt(b, int64(11+5*(i%50)), 10) // unrounded
	default:
		b = strconv.AppendInt(b, int64(10+5*(i%400)), 10)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(1000+5*(i%5000)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(i%100), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(10+i%89), 10)
	return append(b, '\n')
}

// write writes a table of about size bytes (whole rows, at least size).
func write(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	buf := []byte("region,year,age_band,sex,count,population,rate\n")
	written := int64(0)
	for i := 0; written+int64(len(buf)) < size; i++ {
		buf = row(buf, i)
		if len(buf) >= 64<<10 {
			if _, err := w.Write(buf); err != nil {
				f.Close()
				return err
			}
			written += int64(len(buf))
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
