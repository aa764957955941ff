using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace RxChat.Hosting;

/// <summary>
/// Reads <see cref="ChatServerOptions"/> from configuration keys named as PROTOCOL.md's Server options
/// (<c>port</c>, <c>idle-timeout</c>, ...), checking every value.
/// </summary>
public static class ChatServerOptionsReader
{
    /// <summary>The option names, without the leading <c>--</c>, in PROTOCOL.md's order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "host", "port", "idle-timeout", "max-line-length", "rate-limit", "rate-burst",
        "max-clients", "outbox-capacity", "slow-client-policy", "shutdown-timeout", "history-size", "redis", "redis-ca", "room",
        "node-timeout", "irc-port", "irc-channel", "irc-server-name", "tls-cert", "tls-key", "tls-port", "irc-tls-port",
        "tls-handshake-timeout", "log-messages", "http-port",
        "http-allowed-origins",
    ];

    /// <summary>
    /// Maps every <c>--name</c> switch to its configuration key (itself), for
    /// <c>AddCommandLine(args, SwitchMappings)</c>.
    /// </summary>
    public static IDictionary<string, string> SwitchMappings => Names.ToDictionary(n => "--" + n, n => n);

    /// <summary>Reads the options; missing keys keep their defaults.</summary>
    /// <param name="configuration">Configuration whose keys are the option names (case-insensitive).</param>
    /// <exception cref="ArgumentNullException"><paramref name="configuration"/> is null.</exception>
    /// <exception cref="FormatException">
    /// A value is malformed or out of range, or a file it names cannot be used (a TLS certificate or key that does not
    /// load), or an option lacks another it needs (<c>--tls-port</c> without a certificate); the message names the option.
    /// </exception>
    public static ChatServerOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var o = new ChatServerOptions();
        var options = o with
        {
            Host = Get(configuration, "host", o.Host, ParseHost),
            Port = Get(configuration, "port", o.Port, v => ParseInt(v, 0, 65535)),
            IdleTimeout = Get(configuration, "idle-timeout", o.IdleTimeout, ParseDuration),
            MaxLineLength = Get(configuration, "max-line-length", o.MaxLineLength, v => ParseInt(v, 0, int.MaxValue - 1)),
            RateLimit = Get(configuration, "rate-limit", o.RateLimit, ParseRate),
            RateBurst = Get(configuration, "rate-burst", o.RateBurst, v => Math.Max(1, ParseInt(v, 0, int.MaxValue))),
            MaxClients = Get(configuration, "max-clients", o.MaxClients, v => ParseInt(v, 0, int.MaxValue)),
            OutboxCapacity = Get(configuration, "outbox-capacity", o.OutboxCapacity, v => ParseInt(v, 0, int.MaxValue)),
            SlowClientPolicy = Get(configuration, "slow-client-policy", o.SlowClientPolicy, ParsePolicy),
            ShutdownTimeout = Get(configuration, "shutdown-timeout", o.ShutdownTimeout, ParseDuration),
            HistorySize = Get(configuration, "history-size", o.HistorySize, v => ParseInt(v, 0, 1_000_000)),
            Redis = Get(configuration, "redis", o.Redis, ParseRedis),
            RedisCa = Get(configuration, "redis-ca", o.RedisCa, ParseFile),
            Room = Get(configuration, "room", o.Room, ParseRoom),
            NodeTimeout = Get(configuration, "node-timeout", o.NodeTimeout, ParseNodeTimeout),
            IrcPort = Get(configuration, "irc-port", o.IrcPort, v => ParseInt(v, 0, 65535)),
            IrcChannel = Get(configuration, "irc-channel", o.IrcChannel, ParseChannel),
            IrcServerName = Get(configuration, "irc-server-name", o.IrcServerName, ParseServerName),
            TlsCertificate = Get(configuration, "tls-cert", o.TlsCertificate, ParseFile),
            TlsKey = Get(configuration, "tls-key", o.TlsKey, ParseFile),
            TlsPort = Get(configuration, "tls-port", o.TlsPort, v => ParseInt(v, 0, 65535)),
            IrcTlsPort = Get(configuration, "irc-tls-port", o.IrcTlsPort, v => ParseInt(v, 0, 65535)),
            TlsHandshakeTimeout = Get(configuration, "tls-handshake-timeout", o.TlsHandshakeTimeout, ParseDuration),
            LogMessages = Get(configuration, "log-messages", o.LogMessages, ParseBool),
            HttpPort = Get(configuration, "http-port", o.HttpPort, v => ParseInt(v, 0, 65535)),
            HttpAllowedOrigins = Get(configuration, "http-allowed-origins", o.HttpAllowedOrigins, ParseOrigins),
        };
        CheckTls(options);
        if (SharedPort(options) is { } shared)
        {
            throw Bad(shared.Second, $"{shared.Port} is --{shared.First}'s port too: each door needs a port of its own (or 0)");
        }
        return options;
    }

    /// <summary>
    /// Two doors given the same port (not 0, which picks a free one for each): the options in the order of
    /// PROTOCOL.md's table, and the port; null when every door has its own.
    /// </summary>
    internal static (string First, string Second, int Port)? SharedPort(ChatServerOptions options)
    {
        (string Name, int? Port)[] doors =
        [
            ("port", options.Port), ("irc-port", options.IrcPort), ("http-port", options.HttpPort), ("tls-port", options.TlsPort),
            ("irc-tls-port", options.IrcTlsPort),
        ];
        var given = doors.Where(d => d.Port is > 0).ToList();
        return given
            .SelectMany((d, i) => given.Skip(i + 1).Where(e => e.Port == d.Port).Select(e => ((string First, string Second, int Port)?)(d.Name, e.Name, d.Port!.Value)))
            .FirstOrDefault();
    }

    // The TLS options go together, and the files must load now: a bad certificate is a bad option, not a failed start.
    private static void CheckTls(ChatServerOptions options)
    {
        var (certificate, key) = (options.TlsCertificate, options.TlsKey);
        if (certificate is null && key is null)
        {
            if (options.TlsPort is not null || options.IrcTlsPort is not null)
            {
                throw Bad(options.TlsPort is not null ? "tls-port" : "irc-tls-port", "needs --tls-cert and --tls-key (a PEM certificate and its private key)");
            }

            return;
        }

        if (certificate is null)
        {
            throw Bad("tls-key", "needs --tls-cert (the PEM certificate the key belongs to)");
        }

        if (key is null)
        {
            throw Bad("tls-cert", "needs --tls-key (the certificate's PEM private key)");
        }

        try
        {
            RxChat.Transport.ServerCertificate.Load(certificate, key);
        }
        catch (ArgumentException e)
        {
            throw Bad(e.ParamName == "keyFile" ? "tls-key" : "tls-cert", e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static FormatException Bad(string name, string message) => new($"--{name} ({Variable(name)}): {message.ReplaceLineEndings(" ")}");

    private static string Variable(string name) => $"RXCHAT_{name.Replace('-', '_').ToUpperInvariant()}";

    /// <summary>
    /// Parses a duration as PROTOCOL.md, Server options, writes it: a number with a unit (<c>300ms</c>,
    /// <c>90s</c>, <c>5m</c>, <c>1h</c>), a bare number of seconds (<c>0</c>, <c>30</c>, <c>1.5</c>), or .NET
    /// TimeSpan form with colons (<c>00:05:00</c>).
    /// </summary>
    /// <param name="value">The text.</param>
    /// <exception cref="FormatException">Not a duration, or negative.</exception>
    public static TimeSpan ParseDuration(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        TimeSpan result;
        if (text.Contains(':'))
        {
            if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out result))
            {
                throw new FormatException($"'{value}' is not a duration");
            }
        }
        else
        {
            var (number, unit) = SplitUnit(text);
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !double.IsFinite(amount))
            {
                throw new FormatException($"'{value}' is not a duration (use 300ms, 90s, 5m, 1h, seconds, or hh:mm:ss)");
            }

            var seconds = unit switch
            {
                "ms" => amount / 1000,
                "" or "s" => amount,
                "m" => amount * 60,
                "h" => amount * 3600,
                _ => throw new FormatException($"'{value}' has an unknown unit '{unit}' (use ms, s, m or h)"),
            };
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                throw new FormatException($"'{value}' is too long");
            }

            result = TimeSpan.FromSeconds(seconds);
        }

        return result < TimeSpan.Zero ? throw new FormatException($"'{value}' is negative") : result;
    }

    private static (string Number, string Unit) SplitUnit(string text)
    {
        var end = text.Length;
        while (end > 0 && char.IsAsciiLetter(text[end - 1]))
        {
            end--;
        }

        return (text[..end], text[end..].ToLowerInvariant());
    }

    private static T Get<T>(IConfiguration configuration, string name, T fallback, Func<string, T> parse)
    {
        var value = Lookup(configuration, name);
        if (value is null)
        {
            return fallback;
        }

        try
        {
            return parse(value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"--{name} ({Variable(name)}): {e.Message}", e);
        }
    }

    // "idle-timeout" is also found as "idle_timeout" (from RXCHAT_IDLE_TIMEOUT) and "IdleTimeout" (appsettings.json).
    // Sources are asked from the last added (the strongest) down, so that every spelling keeps its source's rank.
    private static string? Lookup(IConfiguration configuration, string name)
    {
        string[] spellings = [name, name.Replace('-', '_'), name.Replace("-", "", StringComparison.Ordinal)];
        if (configuration is not IConfigurationRoot root)
        {
            return spellings.Select(s => configuration[s]).FirstOrDefault(v => v is not null);
        }

        foreach (var provider in root.Providers.Reverse())
        {
            foreach (var spelling in spellings)
            {
                if (provider.TryGet(spelling, out var value) && value is not null)
                {
                    return value;
                }
            }
        }

        return null;
    }

    // The value may hold a password, so no message quotes it, nor anything StackExchange.Redis said of it: the error
    // names what is wrong in words of its own (PROTOCOL.md, Rooms across nodes: the password never reaches a log).
    private static string? ParseRedis(string value)
    {
        StackExchange.Redis.ConfigurationOptions parsed;
        try
        {
            parsed = StackExchange.Redis.ConfigurationOptions.Parse(value);
        }
        catch (ArgumentException)
        {
            throw new FormatException(
                "not a Redis configuration (host:port, then name=value settings separated by commas, e.g. " +
                "127.0.0.1:6379,password=SECRET: see StackExchange.Redis's configuration options; the value is not " +
                "shown, as it may hold a password)");
        }

        return parsed.EndPoints.Count > 0
            ? value
            : throw new FormatException("names no Redis (use host:port, e.g. 127.0.0.1:6379)");
    }

    private static string ParseOrigins(string value)
    {
        RxChat.Web.AllowedOrigins.Parse(value);
        return value;
    }

    private static string ParseFile(string value) =>
        File.Exists(value) ? Path.GetFullPath(value) : throw new FormatException($"'{value}' is not a file");

    // The room is a key prefix inside a Redis hash tag: letters, digits, '-', '_', '.' and ':'.
    private static string ParseRoom(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
            ? value
            : throw new FormatException($"'{value}' is not a room name (1 to 64 letters, digits, '-', '_', '.' or ':')");

    // RFC 2812 §1.3: a channel is '#' or '&' and at most 50 characters, without spaces, commas or ^G; we refuse every
    // control character, and ':' which would end a parameter.
    private static string ParseChannel(string value) =>
        value.Length is >= 2 and <= 50 && value[0] is '#' or '&' && !value.Any(c => char.IsControl(c) || c is ' ' or ',' or ':')
            ? value
            : throw new FormatException($"'{value}' is not an IRC channel ('#' or '&' then 1 to 49 characters, no spaces, commas, ':' or control characters)");

    // The server name prefixes the server's messages (":NAME 001 ..."): a host name's characters, no spaces.
    private static string ParseServerName(string value) =>
        value.Length is > 0 and <= 63 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? value
            : throw new FormatException($"'{value}' is not a server name (1 to 63 letters, digits, '-', '.' or '_')");

    private static TimeSpan ParseNodeTimeout(string value) =>
        ParseDuration(value) is var timeout && timeout >= TimeSpan.FromMilliseconds(100)
            ? timeout
            : throw new FormatException($"'{value}' is too short a node timeout (at least 100ms)");

    private static string ParseHost(string value) =>
        IPAddress.TryParse(value, out _) || Uri.CheckHostName(value) == UriHostNameType.Dns
            ? value
            : throw new FormatException($"'{value}' is not an IP address or host name");

    private static int ParseInt(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"'{value}' is not a whole number from {min} to {max}");

    private static double ParseRate(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) && n >= 0
            ? n
            : throw new FormatException($"'{value}' is not a number of lines per second (0 or more)");

    private static bool ParseBool(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"'{value}' is not true or false"),
    };

    private static SlowClientPolicy ParsePolicy(string value) => value.Trim().ToLowerInvariant() switch
    {
        "drop" => SlowClientPolicy.Drop,
        "disconnect" => SlowClientPolicy.Disconnect,
        _ => throw new FormatException($"'{value}' is not a policy (use drop or disconnect)"),
    };
}
