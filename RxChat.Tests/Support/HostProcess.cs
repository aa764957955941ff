using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using RxChat.Hosting;

namespace RxChat.Tests.Support;

/// <summary>
/// The real server process, started as the README starts it (<c>dotnet RxChat.dll</c>, here from the test's
/// output folder) on an ephemeral port; stdout and stderr are collected.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IPEndPoint> _listeningTls = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IPEndPoint> _listeningIrc = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _listeningHttp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public IPEndPoint EndPoint => _listening.Task.Result;

    /// <summary>Waits until the server prints <c>listening on HOST:PORT (tls)</c> (the line after the line door's); returns where.</summary>
    public Task<IPEndPoint> ListeningTlsAsync(TimeSpan timeout) => _listeningTls.Task.WaitAsync(timeout);

    /// <summary>Waits until the server prints <c>listening on HOST:PORT (irc)</c>; returns where.</summary>
    public Task<IPEndPoint> ListeningIrcAsync(TimeSpan timeout) => _listeningIrc.Task.WaitAsync(timeout);

    /// <summary>
    /// Waits until the server prints <c>listening on HOST:PORT (http)</c> (or <c>(https)</c>) for the web door; returns
    /// its address, <c>http://HOST:PORT/</c>.
    /// </summary>
    public Task<Uri> ListeningHttpAsync(TimeSpan timeout) => _listeningHttp.Task.WaitAsync(timeout);

    /// <summary>Waits until the server prints <c>listening on HOST:PORT</c>; returns where.</summary>
    public Task<IPEndPoint> ListeningAsync(TimeSpan timeout) => _listening.Task.WaitAsync(timeout);

    public IReadOnlyList<string> Output { get { lock (_output) { return [.. _output]; } } }

    public IReadOnlyList<string> Errors { get { lock (_errors) { return [.. _errors]; } } }

    /// <summary>Starts the server; with <paramref name="waitForListening"/> returns once it prints <c>listening on</c>.</summary>
    public static async Task<HostProcess> StartAsync(IEnumerable<string> args, bool waitForListening = true, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (InheritsIgnoredStopSignals())
        {
            // The server as a user starts it from a terminal, where Ctrl+C and SIGTERM are not ignored. A test run
            // started as a background job of a script inherits SIGINT ignored, which a child inherits in turn and
            // the runtime honours; env (GNU coreutils) puts both back to the default before it runs dotnet.
            info.FileName = "env";
            info.ArgumentList.Add("--default-signal=INT,TERM");
            info.ArgumentList.Add("dotnet");
        }

        // RXCHAT_TEST_SERVER runs the tests against another build of the server (an older commit's RxChat.dll), to see
        // a test fail where a fix is missing.
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("RXCHAT_TEST_SERVER") is { Length: > 0 } other ? other : typeof(ChatHost).Assembly.Location);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var host = new HostProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        host._process.OutputDataReceived += (_, e) => host.OnOutput(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnError(e.Data);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        if (waitForListening)
        {
            try
            {
                var done = await Task.WhenAny(host._listening.Task, host._process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(30));
                if (done != host._listening.Task)
                {
                    throw new InvalidOperationException($"the server exited before listening: {string.Join('\n', host.Errors)}");
                }
            }
            catch
            {
                // Never left behind: a server that did not come up is stopped with the failure.
                await host.DisposeAsync();
                throw;
            }
        }

        return host;
    }

    // Whether this process ignores SIGINT or SIGTERM (its SigIgn mask in /proc/self/status; bit N-1 is signal N).
    private static bool InheritsIgnoredStopSignals()
    {
        const ulong sigint = 1UL << (2 - 1), sigterm = 1UL << (15 - 1);
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & (sigint | sigterm)) != 0;
    }

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill failed: {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>The server's thread count, from <c>/proc/PID/status</c>.</summary>
    public int ThreadCount() =>
        int.Parse(File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>
    /// How many log lines the server has written (on standard error) with the stable event id <paramref name="eventId"/>
    /// (the console format writes it after the category: <c>info: RxChat.Room[300] ...</c>).
    /// </summary>
    public int EventCount(int eventId)
    {
        var tag = Tag(eventId);
        lock (_errors)
        {
            return _errors.Count(l => l.Contains(tag, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits until the server has logged <paramref name="count"/> events with the id <paramref name="eventId"/>.</summary>
    public async Task WaitForEventAsync(int eventId, TimeSpan timeout, int count = 1)
    {
        var tag = Tag(eventId);
        TaskCompletionSource waiter;
        lock (_errors)
        {
            if (_errors.Count(l => l.Contains(tag, StringComparison.Ordinal)) >= count)
            {
                return;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((tag, count, waiter));
        }

        try
        {
            await waiter.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no log event {eventId} within {timeout}; the log: {string.Join('\n', Errors.TakeLast(20))}");
        }
    }

    private static string Tag(int eventId) => $"[{eventId.ToString(System.Globalization.CultureInfo.InvariantCulture)}] ";

    private readonly List<(string Text, int Count, TaskCompletionSource Done)> _waiters = [];

    private void OnError(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_errors)
        {
            _errors.Add(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)
                && _errors.Count(l => l.Contains(w.Text, StringComparison.Ordinal)) >= w.Count).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        // "listening on HOST:PORT" for the line door; "listening on HOST:PORT (tls)" for the line door over TLS; "(irc)"
        // for the IRC door; "(http)" or "(https)" for the web door.
        const string prefix = "listening on ", tls = " (tls)", irc = " (irc)";
        if (line.StartsWith(prefix, StringComparison.Ordinal))
        {
            var address = line[prefix.Length..];
            if (address.EndsWith(" (http)", StringComparison.Ordinal) || address.EndsWith(" (https)", StringComparison.Ordinal))
            {
                var scheme = address[(address.LastIndexOf('(') + 1)..^1];
                _listeningHttp.TrySetResult(new Uri($"{scheme}://{address[..address.LastIndexOf(' ')]}/"));
            }
            else if (address.EndsWith(tls, StringComparison.Ordinal))
            {
                _listeningTls.TrySetResult(IPEndPoint.Parse(address[..^tls.Length]));
            }
            else if (address.EndsWith(irc, StringComparison.Ordinal))
            {
                _listeningIrc.TrySetResult(IPEndPoint.Parse(address[..^irc.Length]));
            }
            else if (IPEndPoint.TryParse(address, out var endPoint))
            {
                _listening.TrySetResult(endPoint);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
