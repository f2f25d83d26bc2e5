package main

import (
	"fmt"
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// loopsPoint is one server at one loop count: the median throughput.
type loopsPoint struct {
	Impl  string
	Loops int
	Msgs  float64
}

// plotLoops renders throughput against loops, one line per server plus
// the linear ideal from each server's 1-loop figure, to an .svg or .png.
func plotLoops(points []loopsPoint, title, file string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "event loops (server CPUs)"
	p.Y.Label.Text = "msgs/s (median)"
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	byImpl := map[string]plotter.XYs{}
	var names []string
	for _, pt := range points {
		if _, ok := byImpl[pt.Impl]; !ok {
			names = append(names, pt.Impl)
		}
		byImpl[pt.Impl] = append(byImpl[pt.Impl], plotter.XY{X: float64(pt.Loops), Y: pt.Msgs})
	}
	if len(names) == 0 {
		return fmt.Errorf("no points to plot")
	}
	palette := []color.RGBA{{0x2c, 0xa0, 0x2c, 0xff}, {0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}}
	for i, name := range names {
		xys := byImpl[name]
		sort.Slice(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		c := palette[i%len(palette)]
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, pts.Color, pts.Shape = c, c, draw.CircleGlyph{}
		line.Width = vg.Points(1.5)
		p.Add(line, pts)
		p.Legend.Add(name, line, pts)
		if xys[0].X == 1 {
			ideal := make(plotter.XYs, len(xys))
			for j, xy := range xys {
				ideal[j] = plotter.XY{X: xy.X, Y: xys[0].Y * xy.X}
			}
			il, err := plotter.NewLine(ideal)
			if err != nil {
				return err
			}
			il.Color = c
			il.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(il)
			p.Legend.Add(name+" linear", il)
		}
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, file)
}
