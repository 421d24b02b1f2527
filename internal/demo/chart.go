package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// regionChart draws a bar chart of the regional counts as a PNG: one bar per
// region, light grid lines, and a hatched stub where a count was redacted.
func regionChart(regions []regionCount) []byte {
	const (
		width, height            = 640, 400
		left, right, top, bottom = 50, 20, 20, 40
		plotW, plotH             = width - left - right, height - top - bottom
	)
	var (
		white = color.RGBA{255, 255, 255, 255}
		grid  = color.RGBA{225, 228, 232, 255}
		axis  = color.RGBA{60, 64, 72, 255}
		bar   = color.RGBA{47, 110, 168, 255}
		muted = color.RGBA{170, 174, 180, 255}
	)
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
	}

	maxCount := 1
	for _, c := range regions {
		maxCount = max(maxCount, c.Count)
	}
	// Grid lines at a round step, up to a little above the tallest bar.
	step := niceStep(maxCount)
	lines := (maxCount*11/10)/step + 1
	scaleTop := step * lines
	baseline := top + plotH
	for i := 1; i <= lines; i++ {
		y := baseline - plotH*i*step/scaleTop
		fill(left, y, left+plotW, y+1, grid)
		fill(left-5, y, left, y+1, axis) // tick
	}

	slot := plotW / max(len(regions), 1)
	barW := slot * 7 / 10
	for i, c := range regions {
		x0 := left + i*slot + (slot-barW)/2
		fill(x0+barW/2, baseline, x0+barW/2+1, baseline+5, axis) // tick
		if c.Redacted {
			// Hatched stub: the value exists but may not be shown.
			for y := baseline - 12; y < baseline; y++ {
				for x := x0; x < x0+barW; x++ {
					if (x+y)%6 < 2 {
						img.Set(x, y, muted)
					}
				}
			}
			continue
		}
		h := plotH * c.Count / scaleTop
		fill(x0, baseline-h, x0+barW, baseline, bar)
	}
	fill(left, top, left+1, baseline+1, axis)          // y axis
	fill(left, baseline, left+plotW, baseline+1, axis) // x axis

	var buf bytes.Buffer
	png.Encode(&buf, img) // to memory: cannot fail
	return buf.Bytes()
}

// niceStep is the smallest of 1, 2, 5, 10, 20, 50... with five steps
// reaching n.
func niceStep(n int) int {
	for mag := 1; ; mag *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*mag*5 >= n {
				return m * mag
			}
		}
	}
}
