package main

import (
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// scaleColors gives each backend one color; the path picks the dash.
var scaleColors = map[string]color.RGBA{
	"select": {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	"poll":   {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"epoll":  {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// plotScale renders µs per Wait against idle fds on log-log axes, one line
// per backend and path, to an .svg or .png file.
func plotScale(rows []scaleRow, file string) error {
	ext := strings.ToLower(filepath.Ext(file))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("unsupported plot format %q (want .svg or .png)", ext)
	}
	p := plot.New()
	p.Title.Text = "Time per Wait(timeout 0): N idle fds + 1 ready"
	p.X.Label.Text = "idle fds"
	p.Y.Label.Text = "µs per Wait"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())

	type key struct{ backend, path string }
	var order []key
	series := map[key]plotter.XYs{}
	for _, r := range rows {
		if r.Fds <= 0 || r.NsPerWait <= 0 {
			continue // log axes cannot show zero
		}
		k := key{r.Backend, r.Path}
		if _, ok := series[k]; !ok {
			order = append(order, k)
		}
		series[k] = append(series[k], plotter.XY{X: float64(r.Fds), Y: r.NsPerWait / 1e3})
	}
	if len(order) == 0 {
		return errors.New("no rows to plot")
	}
	for i, k := range order {
		line, points, err := plotter.NewLinePoints(series[k])
		if err != nil {
			return err
		}
		c, ok := scaleColors[k.backend]
		if !ok {
			c = color.RGBA{R: uint8(40 * i), G: 0x40, B: 0x40, A: 0xff}
		}
		line.Color = c
		line.Width = vg.Points(1.5)
		points.Color = c
		if k.path == "raw" {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			points.Shape = draw.CrossGlyph{}
		} else {
			points.Shape = draw.CircleGlyph{}
		}
		p.Add(line, points)
		p.Legend.Add(k.backend+" ("+k.path+")", line, points)
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, file)
}
