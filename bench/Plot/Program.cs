using System.Globalization;

// Draws deliveries/s against client count for RxChat and the Go server from the CSV that bench/compare.sh writes
// (header "clients,rxchat,gochat", one row per client count, empty cells for missing figures).
//
//   dotnet run --project bench/Plot -- docs/fanout.csv docs/fanout.png
if (args.Length != 2)
{
    await Console.Error.WriteLineAsync("usage: Plot CSV PNG");
    return 2;
}

var rows = File.ReadAllLines(args[0]).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
var clients = rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).ToArray();

var plot = new ScottPlot.Plot();
(string Label, int Column, ScottPlot.Color Color)[] series =
[
    ("RxChat", 1, ScottPlot.Colors.RoyalBlue),
    ("Go (gopl ch8)", 2, ScottPlot.Colors.OrangeRed),
];
foreach (var (label, column, color) in series)
{
    // Client counts go on a log10 axis: ScottPlot 5 plots the logarithms, with ticks labelled by the counts.
    var points = rows.Select((r, i) => (X: Math.Log10(clients[i]), Y: r[column]))
        .Where(p => p.Y.Length > 0)
        .Select(p => (p.X, Y: double.Parse(p.Y, CultureInfo.InvariantCulture)))
        .ToArray();
    var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), color);
    scatter.LegendText = label;
    scatter.LineWidth = 2;
    scatter.MarkerSize = 8;
}

plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
    clients.Select(Math.Log10).ToArray(),
    clients.Select(c => c.ToString("N0", CultureInfo.InvariantCulture)).ToArray());
plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
{
    LabelFormatter = v => v.ToString("N0", CultureInfo.InvariantCulture),
};
plot.Title("Fan-out throughput: 10 senders, unpaced, one core per server");
plot.XLabel("clients (log scale)");
plot.YLabel("deliveries/s");
plot.ShowLegend(ScottPlot.Alignment.UpperRight);
plot.Axes.AutoScale();
plot.Axes.SetLimitsY(0, plot.Axes.GetDataLimits().Top * 1.15);
plot.SavePng(args[1], 900, 560);
return 0;
