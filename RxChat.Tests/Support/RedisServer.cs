using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using StackExchange.Redis;

namespace RxChat.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) on an ephemeral loopback port, in a directory of its own, started
/// with the persistence a test asks for and stopped by PID. No mock stands in for it: without redis-server on the
/// PATH the test fails and says what to install.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string[] _arguments;
    private readonly string _ready;
    private readonly bool _sentinel;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(int port, string directory, string[] arguments, bool sentinel = false)
    {
        Port = port;
        Directory = directory;
        _arguments = arguments;
        _sentinel = sentinel;

        // What redis-server logs once it has loaded its data and listens; a sentinel, once it monitors its master.
        _ready = sentinel ? "+monitor master" : "Ready to accept connections";
    }

    public int Port { get; }

    public string Directory { get; }

    /// <summary>The configuration string nodes take (<c>--redis</c>).</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public int Pid => _process?.Id ?? 0;

    /// <summary>
    /// Starts a server; with <paramref name="persistent"/> every write is on disk before it is acknowledged
    /// (<c>appendonly yes</c>, <c>appendfsync always</c>), so that a restart is only an outage. In
    /// <paramref name="extra"/>, <c>{port}</c> stands for the server's port (<c>--port 0 --tls-port {port}</c>: TLS only).
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false, params string[] extra)
    {
        var executable = Find("redis-server") ?? throw new AssertionException(
            "redis-server is not installed: the Redis tests need Debian's package (apt-get install -y redis-server); ./test.sh installs it when run as root");
        var port = FreePort();
        var directory = Path.Combine(Path.GetTempPath(), $"rxchat-redis-{port}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        string[] arguments =
        [
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--save", "", "--appendonly", persistent ? "yes" : "no", "--appendfsync", "always", "--daemonize", "no",
            .. extra.Select(e => e.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)),
        ];
        var server = new RedisServer(port, directory, [executable, .. arguments]);
        await server.RunAsync();
        return server;
    }

    /// <summary>
    /// Starts a Sentinel (<c>redis-server sentinel.conf --sentinel</c>, from a writable file of its own) that monitors
    /// the master on <paramref name="masterPort"/> as <paramref name="service"/>.
    /// </summary>
    public static async Task<RedisServer> StartSentinelAsync(string service, int masterPort, int quorum, TimeSpan downAfter, TimeSpan failoverTimeout)
    {
        var executable = Find("redis-server") ?? throw new AssertionException(
            "redis-server is not installed: the Redis tests need Debian's package (apt-get install -y redis-server); ./test.sh installs it when run as root");
        var port = FreePort();
        var directory = Path.Combine(Path.GetTempPath(), $"rxchat-sentinel-{port}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var configuration = Path.Combine(directory, "sentinel.conf");
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        await File.WriteAllLinesAsync(configuration, [
            string.Create(invariant, $"port {port}"),
            "bind 127.0.0.1",
            $"dir {directory}",
            string.Create(invariant, $"sentinel monitor {service} 127.0.0.1 {masterPort} {quorum}"),
            string.Create(invariant, $"sentinel down-after-milliseconds {service} {(long)downAfter.TotalMilliseconds}"),
            string.Create(invariant, $"sentinel failover-timeout {service} {(long)failoverTimeout.TotalMilliseconds}"),
        ]);
        var server = new RedisServer(port, directory, [executable, configuration, "--sentinel"], sentinel: true);
        await server.RunAsync();
        return server;
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        _admin?.Dispose();
        _admin = null;
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// Starts the server again on the same port and directory (with persistence it finds its data there); with
    /// <paramref name="extra"/> after the arguments it started with, which they override (<c>--replicaof HOST PORT</c>,
    /// <c>--replicaof no one</c>).
    /// </summary>
    public Task RestartAsync(params string[] extra) => RunAsync(extra);

    /// <summary>What the server logged, every start of it (a sentinel's failovers, say).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Whether its process runs now (stopped by SIGSTOP included).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Sends the server a signal: SIGSTOP (19) freezes it, SIGCONT (18) lets it go on.</summary>
    public void Signal(int signal)
    {
        // Only a server still running: the PID of one that exited may be another process's by now.
        if (_process is { HasExited: false })
        {
            Process.Start("kill", [$"-{signal}", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    /// <summary>Runs a command on the server (CLIENT KILL, INFO), as an administrator.</summary>
    public async Task<RedisResult> ExecuteAsync(string command, params object[] arguments)
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { Configuration },
            AllowAdmin = true,
            CommandMap = _sentinel ? CommandMap.Sentinel : CommandMap.Default,
        });
        return await _admin.GetServer(Configuration).ExecuteAsync(command, arguments);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task RunAsync(params string[] extra)
    {
        var info = new ProcessStartInfo(_arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments[1..].Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }

        // redis-server logs that it is ready (_ready) once it has loaded its data and listens: the condition awaited,
        // with a deadline, instead of polling the port.
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                lock (_log)
                {
                    _log.AppendLine(line);
                }

                if (line.Contains(_ready, StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }
        };
        _process.ErrorDataReceived += (_, _) => { };
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited: {output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin")
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
