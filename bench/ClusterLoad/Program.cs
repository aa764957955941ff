using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

// Load for one room served by several nodes (bench/compare.sh, the cluster table). Clients connect to the nodes in
// turn (client i to node i mod N), enter as c0, c1, ...; the first S clients (so the senders too are spread over
// the nodes) send M lines each, "m SENDER SEQ TICKS", unpaced or at R lines/s each. Every client reads every line;
// latency is the receipt time minus TICKS on this process's monotonic clock, and a delivery is cross-node when its
// sender is on another node. Prints one line of JSON.
//
//   ClusterLoad --nodes 127.0.0.1:8001,127.0.0.1:8002 --clients 100 --senders 10 --lines 2000 [--rate 100] [--timeout 120]
var settings = Settings.Parse(args);
var nodes = settings.Nodes.Select(IPEndPoint.Parse).ToArray();
var clients = new Client[settings.Clients];
for (var i = 0; i < clients.Length; i++)
{
    clients[i] = await Client.EnterAsync(i, i % nodes.Length, nodes[i % nodes.Length]);
}

// Everyone is in the room once the last arrival has reached every client.
await Task.WhenAll(clients.Select(c => c.WaitForAsync($"c{clients.Length - 1} has arrived", c.Index < clients.Length - 1)));
var expected = (long)settings.Senders * settings.Lines * clients.Length;
var start = Stopwatch.GetTimestamp();
var reading = clients.Select(c => Task.Run(() => c.ReadAsync(settings.Senders, settings.Lines, clients, start))).ToArray();
var sending = Enumerable.Range(0, settings.Senders).Select(s => Task.Run(() => clients[s].SendAsync(s, settings.Lines, settings.Rate))).ToArray();
await Task.WhenAll(sending);
var finished = Task.WhenAll(reading);
await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(settings.Timeout)));
var end = clients.Max(c => c.LastDelivery);
var window = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
var delivered = clients.Sum(c => c.Delivered);
var all = clients.SelectMany(c => c.Latencies).Order().ToArray();
var cross = clients.SelectMany(c => c.CrossLatencies).Order().ToArray();
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["nodes"] = nodes.Length,
    ["clients"] = clients.Length,
    ["senders"] = settings.Senders,
    ["lines"] = settings.Lines,
    ["rate"] = settings.Rate,
    ["expected"] = expected,
    ["delivered"] = delivered,
    ["lost"] = expected - delivered,
    ["window_s"] = Math.Round(window, 3),
    ["throughput"] = Math.Round(delivered / Math.Max(window, 1e-9), 1),
    ["p50_us"] = Percentile(all, 0.50),
    ["p99_us"] = Percentile(all, 0.99),
    ["cross_p50_us"] = Percentile(cross, 0.50),
    ["cross_p99_us"] = Percentile(cross, 0.99),
    ["out_of_order"] = clients.Sum(c => c.OutOfOrder),
    ["complete"] = finished.IsCompletedSuccessfully && delivered == expected,
}));
foreach (var c in clients)
{
    c.Dispose();
}

return 0;

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : Math.Round(sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)], 1);

internal sealed record Settings(string[] Nodes, int Clients, int Senders, int Lines, double Rate, double Timeout)
{
    public static Settings Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new(
            Get("--nodes", "127.0.0.1:8000").Split(','),
            int.Parse(Get("--clients", "100"), CultureInfo.InvariantCulture),
            int.Parse(Get("--senders", "10"), CultureInfo.InvariantCulture),
            int.Parse(Get("--lines", "1000"), CultureInfo.InvariantCulture),
            double.Parse(Get("--rate", "0"), CultureInfo.InvariantCulture),
            double.Parse(Get("--timeout", "120"), CultureInfo.InvariantCulture));
    }
}

internal sealed class Client : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private Client(int index, int node, Socket socket)
    {
        Index = index;
        Node = node;
        _socket = socket;
        _stream = new NetworkStream(socket);
        _reader = new StreamReader(_stream, Encoding.UTF8, false, 64 * 1024);
    }

    public int Index { get; }

    public int Node { get; }

    public long Delivered { get; private set; }

    public long OutOfOrder { get; private set; }

    public long LastDelivery { get; private set; }

    public List<double> Latencies { get; } = [];

    public List<double> CrossLatencies { get; } = [];

    public static async Task<Client> EnterAsync(int index, int node, IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var client = new Client(index, node, socket);
        await client.ExpectAsync("What is your name?");
        await client.WriteAsync($"c{index}");
        await client.ExpectAsync($"You are c{index}");
        return client;
    }

    public async Task WaitForAsync(string line, bool wait)
    {
        while (wait && await _reader.ReadLineAsync() is { } seen && seen != line)
        {
        }
    }

    public async Task SendAsync(int sender, int lines, double rate)
    {
        var period = rate > 0 ? TimeSpan.FromSeconds(1 / rate) : TimeSpan.Zero;
        var begin = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < lines; seq++)
        {
            if (rate > 0)
            {
                var due = begin + (long)(seq * period.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
            }

            await WriteAsync($"m {sender} {seq} {Stopwatch.GetTimestamp()}");
        }
    }

    public async Task ReadAsync(int senders, int lines, Client[] all, long start)
    {
        var next = new int[senders];
        var remaining = (long)senders * lines;
        while (remaining > 0 && await _reader.ReadLineAsync() is { } line)
        {
            var colon = line.IndexOf(": m ", StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var parts = line[(colon + 4)..].Split(' ');
            var (sender, seq, ticks) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
            var now = Stopwatch.GetTimestamp();
            var latency = Stopwatch.GetElapsedTime(ticks, now).TotalMicroseconds;
            Latencies.Add(latency);
            if (all[sender].Node != Node)
            {
                CrossLatencies.Add(latency);
            }

            OutOfOrder += seq < next[sender] ? 1 : 0;
            next[sender] = Math.Max(next[sender], seq + 1);
            Delivered++;
            LastDelivery = now;
            remaining--;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task ExpectAsync(string expected)
    {
        var line = await _reader.ReadLineAsync();
        if (line != expected)
        {
            throw new InvalidOperationException($"c{Index}: expected '{expected}', got '{line}'");
        }
    }

    private Task WriteAsync(string line) => _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask();
}
