package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// serverColors keeps a server's colour the same in every chart.
var serverColors = map[string]color.RGBA{
	"null":        {0x99, 0x99, 0x99, 0xff},
	"fjord":       {0x1f, 0x77, 0xb4, 0xff},
	"fjord-fsync": {0x6b, 0xae, 0xd6, 0xff},
	"kfake":       {0xff, 0x7f, 0x0e, 0xff},
	"kfake-disk":  {0xd6, 0x27, 0x28, 0xff},
	"kfake-sync":  {0xff, 0xbb, 0x78, 0xff},
	"nats":        {0x2c, 0xa0, 0x2c, 0xff},
	"redis":       {0x94, 0x67, 0xbd, 0xff},
}

func (r *report) charts(dir string) error {
	if ws := r.workloads("produce", false); len(ws) > 0 {
		var labels []string
		var ids []string
		for _, w := range ws {
			labels = append(labels, strings.NewReplacer(", ", "\n", " partitions", "p", " partition", "p").Replace(w.Short()))
			ids = append(ids, w.ID())
		}
		if err := r.barChart(filepath.Join(dir, "produce-throughput.png"), "Produce throughput (median MB/s)", labels, ids, r.mainServers()); err != nil {
			return err
		}
	}
	if ws := r.workloads("consume", false); len(ws) > 0 {
		var labels, ids []string
		for _, w := range ws {
			labels = append(labels, fmt.Sprintf("%s of %s records", formatSize(w.Records*int64(w.RecordSize)), sizeLabel(w.RecordSize)))
			ids = append(ids, w.ID())
		}
		if err := r.barChart(filepath.Join(dir, "consume-throughput.png"), "Consume throughput (median MB/s)", labels, ids, r.mainServers()); err != nil {
			return err
		}
	}
	if ws := r.workloads("produce", true); len(ws) > 0 {
		// The headline workload: 1 KiB, acks=all, the most partitions.
		w := ws[0]
		for _, c := range ws {
			if c.RecordSize == 1024 && c.Acks == "all" && c.Partitions >= w.Partitions {
				w = c
			}
		}
		if err := r.latencyChart(filepath.Join(dir, "paced-latency.png"), w); err != nil {
			return err
		}
	}
	return nil
}

func (r *report) barChart(path, title string, labels, ids, servers []string) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "MB/s"
	p.Legend.Top = true
	var present []string
	for _, s := range servers {
		for _, id := range ids {
			if c := r.cell(s, id); c != nil && c.Runs > 0 {
				present = append(present, s)
				break
			}
		}
	}
	w := vg.Points(math.Max(4, 60/float64(max(len(present), 1))))
	for i, s := range present {
		vals := make(plotter.Values, len(ids))
		for j, id := range ids {
			if c := r.cell(s, id); c != nil {
				vals[j] = c.MBPerSec
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = serverColors[s]
		bars.Offset = w * vg.Length(float64(i)-float64(len(present)-1)/2)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend
	p.Y.Tick.Marker = intTicks{}
	width := vg.Length(math.Max(6, 1.6*float64(len(ids)))) * vg.Inch
	return p.Save(width, 4.5*vg.Inch, path)
}

// latencyChart draws each server's latency percentiles of one paced
// workload on a log scale.
func (r *report) latencyChart(path string, w workload) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Produce latency at %s records/s: %s", thousands(w.Rate), w.Short())
	p.Y.Label.Text = "ms (log scale)"
	p.X.Label.Text = "percentile"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	names := []string{"p50", "p90", "p99", "p99.9", "p99.99", "max"}
	lo, hi := math.Inf(1), 0.0
	i := 0
	for _, s := range r.mainServers() {
		c := r.cell(s, w.ID())
		if c == nil || c.Latency == nil {
			continue
		}
		l := c.Latency
		vals := []float64{l.P50Ms, l.P90Ms, l.P99Ms, l.P999Ms, l.P9999Ms, l.MaxMs}
		pts := make(plotter.XYs, len(vals))
		for j, v := range vals {
			pts[j].X, pts[j].Y = float64(j), math.Max(v, 0.01)
			lo, hi = math.Min(lo, pts[j].Y), math.Max(hi, pts[j].Y)
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = serverColors[s], serverColors[s]
		line.Width = vg.Points(2)
		points.Shape = plotutil.DefaultGlyphShapes[i%len(plotutil.DefaultGlyphShapes)]
		p.Add(line, points)
		p.Legend.Add(s, line, points)
		i++
	}
	if hi > 0 {
		p.Y.Min, p.Y.Max = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	}
	p.NominalX(names...)
	return p.Save(8*vg.Inch, 4.5*vg.Inch, path)
}

// intTicks are plot.DefaultTicks without decimals.
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%.0f", ts[i].Value)
		}
	}
	return ts
}
