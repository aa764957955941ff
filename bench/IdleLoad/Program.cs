using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// What an idle connection costs the real server's memory, plain and over TLS (bench/compare.sh, the TLS idle table;
// the neutral harness chatload speaks no TLS). For every run, client count and door (plain first on odd runs, TLS
// first on even ones), a fresh server (`dotnet RxChat.dll --port 0 --tls-port 0` with a self-signed certificate made
// here for localhost and 127.0.0.1, and compare.sh's `--rate-limit 0 --idle-timeout 0 --max-clients 0`) takes C
// clients as chatload's idle scenario makes them: at most 64 connecting at once, each (over TLS: after its handshake)
// answers the prompt with c0, c1, ... and reads everything it is sent. Once nothing has arrived for a second (the
// C²/2 arrival notices have drained) and --hold has passed, the server's memory is read again. Before and after:
// its resident memory (VmRSS, and RssAnon, the part that is not mapped files, from /proc/PID/status) and, unless
// --no-gc-heap, its managed heap after a full collection (the GC's own heap statistics, from a collection this
// program asks for through the runtime's diagnostics port, as dotnet-gcdump does). bytes_per_conn is
// (VmRSS after - VmRSS before) / C, chatload's figure; gc_bytes_per_conn the same for the managed heap. One line of
// JSON per measurement on standard output; a summary on standard error.
//
//   dotnet run -c Release --project bench/IdleLoad -- [--clients 1000,5000] [--runs 1] [--doors plain,tls]
//       [--server RxChat.dll] [--server-cpu N] [--hold 5] [--settle 120] [--no-gc-heap] [--burst LINES]
//
// --server: the server to run (default: the RxChat.dll built beside this program); --server-cpu: run it on that core
// alone (taskset), and run this program on another (compare.sh: `taskset -c 0 ... --server-cpu 1`); --burst: once the
// arrivals have drained, c0 sends that many lines of 1,000 bytes in one write, which every client receives, before
// the hold (what a connection that once received a burst keeps).
var settings = Settings.Parse(args);
using var certificate = TestCertificate.Create();
var results = new List<Dictionary<string, object?>>();
for (var run = 1; run <= settings.Runs; run++)
{
    foreach (var clients in settings.Clients)
    {
        var doors = run % 2 == 1 ? settings.Doors : settings.Doors.AsEnumerable().Reverse().ToArray();
        foreach (var door in doors)
        {
            var result = await Measure.RunAsync(settings, certificate, door, clients, run);
            results.Add(result);
            Console.WriteLine(JsonSerializer.Serialize(result));
            Console.Out.Flush();
            Console.Error.WriteLine($"run {run}: {door} {clients:N0}: {result["bytes_per_conn"]:N0} bytes/connection resident, " +
                $"{result.GetValueOrDefault("gc_bytes_per_conn")?.ToString() ?? "?"} managed; {result["server_status"]}");
        }
    }
}

Console.Error.WriteLine();
Console.Error.WriteLine("door   clients  bytes/conn (VmRSS)  RssAnon  managed heap   (medians)");
foreach (var group in results.GroupBy(r => ((string)r["door"]!, (int)r["clients"]!)))
{
    static string Median(IEnumerable<Dictionary<string, object?>> runs, string key)
    {
        var values = runs.Select(r => r.GetValueOrDefault(key)).OfType<double>().Order().ToArray();
        return values.Length == 0 ? "–" : values[values.Length / 2].ToString("N0", CultureInfo.InvariantCulture);
    }

    Console.Error.WriteLine($"{group.Key.Item1,-6} {group.Key.Item2,7:N0}  {Median(group, "bytes_per_conn"),18}  " +
        $"{Median(group, "anon_bytes_per_conn"),7}  {Median(group, "gc_bytes_per_conn"),12}");
}

// A measurement that went wrong says so in its line ("ok": false, and why); the exit status is for a run that broke.
return 0;

internal sealed record Settings(int[] Clients, int Runs, string[] Doors, string Server, int? ServerCpu, double Hold, double Settle, bool GcHeap, int Burst)
{
    public static Settings Parse(string[] args)
    {
        string? Get(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var doors = (Get("--doors") ?? "plain,tls").Split(',');
        if (doors.Length == 0 || doors.Any(d => d is not ("plain" or "tls")))
        {
            throw new ArgumentException("--doors takes plain, tls or both, separated by a comma");
        }

        return new(
            (Get("--clients") ?? "1000,5000").Split(',').Select(c => int.Parse(c, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToArray(),
            int.Parse(Get("--runs") ?? "1", CultureInfo.InvariantCulture),
            doors,
            Get("--server") ?? Path.Combine(AppContext.BaseDirectory, "RxChat.dll"),
            Get("--server-cpu") is { } cpu ? int.Parse(cpu, CultureInfo.InvariantCulture) : null,
            double.Parse(Get("--hold") ?? "5", CultureInfo.InvariantCulture),
            double.Parse(Get("--settle") ?? "120", CultureInfo.InvariantCulture),
            !args.Contains("--no-gc-heap"),
            int.Parse(Get("--burst") ?? "0", CultureInfo.InvariantCulture));
    }
}

// One measurement: a fresh server, C idle clients of one door, the server's memory before and after.
internal static class Measure
{
    // Like chatload: no bytes for this long after the last connection = the arrival notices have drained.
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(1);

    public static async Task<Dictionary<string, object?>> RunAsync(Settings settings, TestCertificate certificate, string door, int count, int run)
    {
        await using var server = await Server.StartAsync(settings, certificate);
        var before = Sample(server.Pid, settings.GcHeap);
        var cpuBefore = CpuSeconds(server.Pid);
        var endPoint = door == "tls" ? server.TlsEndPoint : server.EndPoint;
        var clients = new Client?[count];
        var failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        using (var dialers = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await dialers.WaitAsync();
                try
                {
                    clients[i] = await Client.EnterAsync(i, endPoint, door == "tls" ? certificate : null);
                    clients[i]!.StartDraining();
                }
                catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"c{i}: {e.Message}", null);
                }
                finally
                {
                    dialers.Release();
                }
            }));
        }

        var connected = clock.Elapsed.TotalSeconds;
        var settled = await SettleAsync(settings);
        var ready = clock.Elapsed.TotalSeconds - (settled ? QuietPeriod.TotalSeconds : 0);
        if (settings.Burst > 0 && settled && clients[0] is { } sender)
        {
            // One burst to everyone, in one write from c0: the largest write each connection has received.
            await sender.SendAsync(string.Concat(Enumerable.Repeat(new string('x', 999) + "\n", settings.Burst)));
            settled = await SettleAsync(settings);
        }

        await Task.Delay(TimeSpan.FromSeconds(settings.Hold));
        var after = Sample(server.Pid, settings.GcHeap);
        var cpuAfter = CpuSeconds(server.Pid);
        var open = clients.OfType<Client>().ToArray();
        var (protocol, cipher) = open.FirstOrDefault()?.Tls ?? (null, null);
        var lines = open.Sum(c => c.Lines);
        foreach (var client in open)
        {
            client.Dispose();
        }

        var status = await server.StopAsync();
        double? PerConnection(long? a, long? b, double scale) => a is { } x && b is { } y && open.Length > 0 ? Math.Round((x - y) * scale / open.Length) : null;
        return new Dictionary<string, object?>
        {
            ["row"] = "tlsidle",
            ["server"] = "rxchat",
            ["door"] = door,
            ["run"] = run,
            ["clients"] = count,
            ["burst_lines"] = settings.Burst,
            ["connected"] = open.Length,
            ["failed"] = failed,
            ["first_error"] = firstError,
            ["tls_protocol"] = protocol,
            ["tls_cipher"] = cipher,
            ["connect_s"] = Math.Round(connected, 2),
            ["ready_s"] = Math.Round(ready, 2),
            ["settled"] = settled,
            ["lines_drained"] = lines,
            ["rss_before_kb"] = before.RssKb,
            ["rss_after_kb"] = after.RssKb,
            ["bytes_per_conn"] = PerConnection(after.RssKb, before.RssKb, 1024),
            ["anon_before_kb"] = before.AnonKb,
            ["anon_after_kb"] = after.AnonKb,
            ["anon_bytes_per_conn"] = PerConnection(after.AnonKb, before.AnonKb, 1024),
            ["gc_heap_before"] = before.GcHeap,
            ["gc_heap_after"] = after.GcHeap,
            ["gc_bytes_per_conn"] = PerConnection(after.GcHeap, before.GcHeap, 1),
            ["threads_before"] = before.Threads,
            ["threads_after"] = after.Threads,
            ["server_cpu_s"] = Math.Round(cpuAfter - cpuBefore, 2),
            ["server_status"] = status,
            ["server_stderr"] = server.LastErrors,
            ["ok"] = settled && failed == 0 && status == "exit 0 after SIGTERM",
        };
    }

    // Waits until nothing has arrived for the quiet period (counted from now at the earliest), or --settle has passed.
    private static async Task<bool> SettleAsync(Settings settings)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(settings.Settle))
        {
            if (Stopwatch.GetElapsedTime(Math.Max(Client.LastReceived, start)) >= QuietPeriod)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    private sealed record Memory(long RssKb, long AnonKb, int Threads, long? GcHeap);

    // The managed heap first (it collects), then the resident memory after it, before and after alike.
    private static Memory Sample(int pid, bool gcHeap)
    {
        var heap = gcHeap ? GcHeap.Measure(pid, TimeSpan.FromSeconds(30)) : null;
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return new Memory(Field("VmRSS:"), Field("RssAnon:"), (int)Field("Threads:"), heap);
    }

    // utime + stime of a process, in seconds (/proc/PID/stat, fields 14 and 15; clock ticks of 1/100 s).
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}

// The managed heap of another .NET process after a full, blocking collection: an EventPipe session with the GC's
// GCHeapCollect keyword makes the runtime collect (as dotnet-gcdump does), and the GC's heap statistics of that
// collection give the generations' sizes after it.
internal static class GcHeap
{
    public static long? Measure(int pid, TimeSpan timeout)
    {
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Informational, keywords),
            requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var heap = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var full = false;
        source.Clr.GCStart += e => full = e.Depth == 2;
        source.Clr.GCHeapStats += e =>
        {
            if (full)
            {
                heap.TrySetResult(e.TotalHeapSize);
            }
        };
        var processing = Task.Run(source.Process);
        var done = heap.Task.Wait(timeout);
        session.Stop();
        processing.Wait(timeout);
        return done ? heap.Task.Result : null;
    }
}

// The real server process, on ephemeral ports for both doors; its standard error kept (the last lines).
internal sealed partial class Server : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _errors = new();
    private readonly TaskCompletionSource<IPEndPoint> _plain = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IPEndPoint> _tls = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Server(Process process) => _process = process;

    public int Pid => _process.Id;

    public IPEndPoint EndPoint => _plain.Task.Result;

    public IPEndPoint TlsEndPoint => _tls.Task.Result;

    public string[] LastErrors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public static async Task<Server> StartAsync(Settings settings, TestCertificate certificate)
    {
        var info = new ProcessStartInfo(settings.ServerCpu is null ? "dotnet" : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (settings.ServerCpu is { } cpu)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpu.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add("dotnet");
        }

        foreach (var arg in (string[])[settings.Server, "--port", "0", "--tls-port", "0", "--tls-cert", certificate.CertFile, "--tls-key", certificate.KeyFile,
            "--rate-limit", "0", "--idle-timeout", "0", "--max-clients", "0"])
        {
            info.ArgumentList.Add(arg);
        }

        var server = new Server(new Process { StartInfo = info, EnableRaisingEvents = true });
        server._process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnError(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var listening = Task.WhenAll(server._plain.Task, server._tls.Task);
        if (await Task.WhenAny(listening, server._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != listening)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"the server did not start listening: {string.Join(" / ", server.LastErrors)}");
        }

        return server;
    }

    // SIGTERM, up to 10 s to exit, then SIGKILL (as compare.sh stops its servers).
    public async Task<string> StopAsync()
    {
        if (_process.HasExited)
        {
            return $"gone before the stop (exit {_process.ExitCode})";
        }

        _ = Kill(_process.Id, 15);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            return $"exit {_process.ExitCode} after SIGTERM";
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return "did not exit within 10 s of SIGTERM; killed";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        // "listening on HOST:PORT", then "listening on HOST:PORT (tls)".
        const string prefix = "listening on ", tls = " (tls)";
        if (line is not null && line.StartsWith(prefix, StringComparison.Ordinal))
        {
            var address = line[prefix.Length..];
            if (address.EndsWith(tls, StringComparison.Ordinal))
            {
                _tls.TrySetResult(IPEndPoint.Parse(address[..^tls.Length]));
            }
            else
            {
                _plain.TrySetResult(IPEndPoint.Parse(address));
            }
        }
    }

    private void OnError(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_errors)
        {
            _errors.Enqueue(line);
            if (_errors.Count > 5)
            {
                _errors.Dequeue();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

// A self-signed certificate for localhost and 127.0.0.1 (ECDSA P-256, as `openssl req -x509` makes one), written as
// PEM files in a directory of its own, removed on dispose.
internal sealed class TestCertificate : IDisposable
{
    private TestCertificate(string directory, string thumbprint) => (Directory, Thumbprint) = (directory, thumbprint);

    public string Directory { get; }

    public string Thumbprint { get; }

    public string CertFile => Path.Combine(Directory, "cert.pem");

    public string KeyFile => Path.Combine(Directory, "key.pem");

    public static TestCertificate Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("rxchat-idleload").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var files = new TestCertificate(directory, certificate.Thumbprint);
        File.WriteAllText(files.CertFile, certificate.ExportCertificatePem());
        File.WriteAllText(files.KeyFile, key.ExportPkcs8PrivateKeyPem());
        return files;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

// One idle client: enters with a name, then reads (and counts the lines of) everything it is sent until disposed.
internal sealed class Client : IDisposable
{
    private static long s_lastReceived = Stopwatch.GetTimestamp();

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private long _lines;

    private Client(int index, Socket socket, Stream stream) => (Index, _socket, _stream) = (index, socket, stream);

    /// <summary>When any client last received bytes (a <see cref="Stopwatch"/> timestamp).</summary>
    public static long LastReceived => Interlocked.Read(ref s_lastReceived);

    public int Index { get; }

    public long Lines => Interlocked.Read(ref _lines);

    public (string? Protocol, string? Cipher)? Tls { get; private set; }

    public static async Task<Client> EnterAsync(int index, IPEndPoint endPoint, TestCertificate? trusted)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            (string?, string?)? tls = null;
            if (trusted is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                        certificate is not null && certificate.GetCertHashString() == trusted.Thumbprint,
                });
                stream = ssl;
                tls = (ssl.SslProtocol.ToString(), ssl.NegotiatedCipherSuite.ToString());
            }

            var client = new Client(index, socket, stream) { Tls = tls };
            await client.ExpectAsync("What is your name?");
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"c{index}\n"));
            await client.ExpectAsync($"You are c{index}");
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Reads until the end of the stream or a failure (the client disposed), counting lines.
    public void StartDraining() => _ = Task.Run(async () =>
    {
        try
        {
            Interlocked.Add(ref _lines, _buffer.AsSpan(_start, _end - _start).Count((byte)'\n'));
            int read;
            while ((read = await _stream.ReadAsync(_buffer)) > 0)
            {
                Interlocked.Add(ref _lines, _buffer.AsSpan(0, read).Count((byte)'\n'));
                Interlocked.Exchange(ref s_lastReceived, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    });

    public async Task SendAsync(string text) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        _socket.Dispose();
        _stream.Dispose();
    }

    private async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync();
        if (line != expected)
        {
            throw new InvalidOperationException($"c{Index}: expected '{expected}', got '{line}'");
        }
    }

    private async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                (_end, _start) = (_end - _start, 0);
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end));
            if (read == 0)
            {
                return null;
            }

            _end += read;
            Interlocked.Exchange(ref s_lastReceived, Stopwatch.GetTimestamp());
        }
    }
}
