using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace RxChat.Hosting;

/// <summary>
/// The <c>rxchat</c> command: reads the options (command line, <c>RXCHAT_</c> environment variables,
/// <c>appsettings.json</c>, in that precedence), runs a <see cref="ChatServer"/> in the generic host until SIGINT or
/// SIGTERM, and returns the exit status of PROTOCOL.md, Server options.
/// </summary>
public static class ChatHost
{
    /// <summary>Exit status for a bad option value.</summary>
    public const int BadOption = 2;

    /// <summary>Exit status when the address cannot be bound (the port is in use).</summary>
    public const int CannotListen = 1;

    /// <summary>Runs the server to the end.</summary>
    /// <param name="args">The command line: <c>--name value</c> pairs, <c>--help</c>, <c>--version</c>.</param>
    /// <param name="output">Where <c>listening on HOST:PORT</c>, help and version go (standard output).</param>
    /// <param name="error">Where errors go (standard error); logs go there too, leaving standard output to scripts.</param>
    /// <returns>0 after a clean shutdown, <see cref="CannotListen"/> or <see cref="BadOption"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await output.WriteAsync(Help()).ConfigureAwait(false);
            return 0;
        }

        if (args.Contains("--version"))
        {
            await output.WriteLineAsync($"rxchat {Version}").ConfigureAwait(false);
            return 0;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ChatServerOptions options;
        try
        {
            AddSources(builder.Configuration, args, Directory.GetCurrentDirectory());
            options = ChatServerOptionsReader.Read(builder.Configuration);
        }
        catch (FormatException e)
        {
            await error.WriteLineAsync($"rxchat: {e.Message}").ConfigureAwait(false);
            return BadOption;
        }

        builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None); // a failed start is our one line
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ChatServerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChatServerService>());

        using var host = builder.Build();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            var where = e is Transport.BindException bind ? $"{options.Host}:{bind.EndPoint.Port}" : $"{options.Host}:{options.Port}";
            await error.WriteLineAsync($"rxchat: cannot listen on {where}: {e.Message}").ConfigureAwait(false);
            return CannotListen;
        }

        // "listening on" once newcomers are served: for a node of a room on Redis, once it has joined the room, so that
        // whoever waits for the line (a harness, a script) can connect and be served.
        var service = host.Services.GetRequiredService<ChatServerService>();
        var shutdown = host.WaitForShutdownAsync();
        if (await Task.WhenAny(service.Ready, shutdown).ConfigureAwait(false) == service.Ready)
        {
            // The line door first, on a line of its own as PROTOCOL.md has it; then each other door, named after it.
            await output.WriteLineAsync($"listening on {service.EndPoint}").ConfigureAwait(false);
            if (service.TlsEndPoint is { } tls)
            {
                await output.WriteLineAsync($"listening on {tls} (tls)").ConfigureAwait(false);
            }

            if (service.IrcEndPoint is { } irc)
            {
                await output.WriteLineAsync($"listening on {irc} (irc)").ConfigureAwait(false);
            }

            if (service.IrcTlsEndPoint is { } ircTls)
            {
                await output.WriteLineAsync($"listening on {ircTls} (irc, tls)").ConfigureAwait(false);
            }

            if (service.HttpEndPoint is { } http)
            {
                await output.WriteLineAsync($"listening on {http} ({service.HttpScheme})").ConfigureAwait(false);
            }

            await output.FlushAsync().ConfigureAwait(false);
        }

        await shutdown.ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The configuration sources in rising precedence: <c>appsettings.json</c> in <paramref name="directory"/>,
    /// <c>RXCHAT_</c> environment variables, the command line (checked first: known names, each once, with values).
    /// </summary>
    internal static IConfigurationBuilder AddSources(IConfigurationBuilder configuration, string[] args, string directory)
    {
        CheckArguments(args);
        return configuration
            .AddJsonFile(Path.Combine(directory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("RXCHAT_")
            .AddCommandLine(args, ChatServerOptionsReader.SwitchMappings);
    }

    // Every argument is "--name value" or "--name=value" with a known name, each name once.
    private static void CheckArguments(string[] args)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"unexpected argument '{arg}' (options are --name value; see --help)");
            }

            var name = arg[2..].Split('=', 2)[0];
            if (!ChatServerOptionsReader.Names.Contains(name))
            {
                throw new FormatException($"unknown option --{name} (see --help)");
            }

            if (!seen.Add(name))
            {
                throw new FormatException($"--{name} is given twice");
            }

            if (!arg.Contains('=', StringComparison.Ordinal) && (++i >= args.Length || args[i].StartsWith("--", StringComparison.Ordinal)))
            {
                throw new FormatException($"--{name} needs a value");
            }
        }
    }

    private static string Version =>
        typeof(ChatHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static string Help() => """
        rxchat: a line-oriented chat server (the chat of "The Go Programming Language", ch. 8, in Rx.NET).
        Clients connect with: nc HOST PORT (over TLS: openssl s_client -quiet -connect HOST:TLSPORT);
        IRC clients with: irssi -c HOST -p IRCPORT, then /join #rxchat;
        browsers at http://HOST:HTTPPORT/ (with --http-port)

        Usage: dotnet run --project RxChat -- [--option value]...   (or: RxChat [--option value]...)

        Options (also RXCHAT_NAME environment variables, with _ for -, and appsettings.json):
          --host HOST                 listen address (default 127.0.0.1)
          --port PORT                 listen port, 0 picks a free one (default 8000)
          --idle-timeout DURATION     disconnect a client silent this long, 0 = never (default 5m)
          --max-line-length BYTES     longest line a client may send, 0 = no limit (default 4096)
          --rate-limit LINES/S        lines per second per client, 0 = no limit (default 20)
          --rate-burst LINES          lines a client may send at once, 0 counts as 1 (default 40)
          --max-clients N             connections at once, 0 = no limit (default 10000)
          --outbox-capacity LINES     lines queued per client, 0 = unbounded (default 1024)
          --slow-client-policy P      drop or disconnect (default drop)
          --shutdown-timeout DURATION how long shutdown flushes, 0 = close at once (default 5s)
          --history-size LINES        chat lines the room keeps for /history, 0 = none (default 1000)
          --redis CONFIG              a Redis to share the room with other nodes, e.g. 127.0.0.1:6379
                                      (default none: the room lives in this process alone; sentinels:
                                      host:port,host:port,serviceName=NAME; TLS: ssl=true; a password is
                                      better given as RXCHAT_REDIS, which ps does not show)
          --redis-ca FILE             a PEM certificate authority to trust for Redis over TLS (default none)
          --room NAME                 the room's name in Redis; same Redis and room = one room (default rxchat)
          --node-timeout DURATION     how long a node may be silent before the room counts it gone (default 5s)
          --irc-port PORT             the IRC door (6667 is IRC's), 0 picks a free one (default none)
          --irc-channel NAME          the IRC channel that is the room (default #rxchat)
          --irc-server-name NAME      the server name IRC clients see (default the host name)
          --tls-cert FILE             PEM certificate (then any intermediates) for the TLS doors; reloaded when
                                      it or the key changes (default none)
          --tls-key FILE              PEM private key of --tls-cert, unencrypted (default none)
          --tls-port PORT             the line door over TLS, 0 picks a free one; needs --tls-cert and
                                      --tls-key; clients: openssl s_client -quiet -connect HOST:PORT (default none)
          --irc-tls-port PORT         the IRC door over TLS (6697 is IRC's), 0 picks a free one; needs
                                      --tls-cert and --tls-key (default none)
          --tls-handshake-timeout DURATION
                                      close a TLS connection whose handshake takes longer, 0 = never (default 10s)
          --log-messages BOOL         log chat text too, true or false (default false)
          --http-port PORT            the web door: the page at http://HOST:PORT/, its WebSocket at /ws,
                                      /healthz and /metrics; HTTPS with --tls-cert and --tls-key; 0 picks a
                                      free one (default none)
          --http-allowed-origins LIST other origins whose pages may open the WebSocket, comma-separated,
                                      e.g. https://chat.example.com (default none: the page's own only)
          --help                      print this
          --version                   print the version

        DURATION: 300ms, 90s, 5m, 1h, a number of seconds, or hh:mm:ss.

        """;
}
