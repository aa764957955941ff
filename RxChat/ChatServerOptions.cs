namespace RxChat;

/// <summary>
/// Every setting of a chat server, with the names, defaults and units of PROTOCOL.md, Server options.
/// For every limit, 0 turns it off. Immutable; use <c>with</c> to change a copy.
/// </summary>
public sealed record ChatServerOptions
{
    /// <summary>
    /// Listen address (<c>--host</c>); default <c>127.0.0.1</c>. An IP address (<c>::</c> takes IPv6 and IPv4) or a host
    /// name, which listens on its first IPv4 address.
    /// </summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Listen port (<c>--port</c>), 0 to 65535; default 8000; 0 picks a free port.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>
    /// Idle timeout (<c>--idle-timeout</c>): a connection that sends no complete line for this long is
    /// disconnected. Default 5 minutes; <see cref="TimeSpan.Zero"/> turns it off. PROTOCOL.md, Leaving.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest line a client may send (<c>--max-line-length</c>), in bytes as received, without the line terminator.
    /// Default 4096; 0 turns the limit off. PROTOCOL.md, Limits and bad input.
    /// </summary>
    public int MaxLineLength { get; init; } = 4096;

    /// <summary>Lines per second a client may send (<c>--rate-limit</c>); default 20; 0 turns the limit off.</summary>
    public double RateLimit { get; init; } = 20;

    /// <summary>Lines a client may send at once before the rate applies (<c>--rate-burst</c>); default 40; 0 counts as 1 (PROTOCOL.md: the burst is at least 1).</summary>
    public int RateBurst { get; init; } = 40;

    /// <summary>Connections at once, named or not (<c>--max-clients</c>); default 10000; 0 turns the limit off.</summary>
    public int MaxClients { get; init; } = 10_000;

    /// <summary>Lines queued per client (<c>--outbox-capacity</c>); default 1024; 0 means unbounded.</summary>
    public int OutboxCapacity { get; init; } = 1024;

    /// <summary>What happens to a client whose outbox is full (<c>--slow-client-policy</c>); default <see cref="SlowClientPolicy.Drop"/>.</summary>
    public SlowClientPolicy SlowClientPolicy { get; init; } = SlowClientPolicy.Drop;

    /// <summary>
    /// How long shutdown waits for queued lines to be written (<c>--shutdown-timeout</c>); default 5 seconds;
    /// <see cref="TimeSpan.Zero"/> closes at once. PROTOCOL.md, Shutdown.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Chat lines the room keeps for <c>/history</c> (<c>--history-size</c>); default 1000; 0 keeps none. One
    /// <c>/history</c> shows at most 100 lines (PROTOCOL.md, Commands), so the room holds at most the last 100 in memory:
    /// every answer is the one 1000 kept lines would give. In a room on several nodes this is the room's: the node that
    /// creates the room sets it, and a node given another value follows the room's and logs a warning (event 310).
    /// PROTOCOL.md, Commands, Server options and Rooms across nodes.
    /// </summary>
    public int HistorySize { get; init; } = 1000;

    /// <summary>
    /// A Redis to share the room with other nodes (<c>--redis</c>): a StackExchange.Redis configuration string, e.g.
    /// <c>127.0.0.1:6379</c>, <c>127.0.0.1:6379,password=SECRET,ssl=true</c>, or sentinels and a service name,
    /// <c>10.0.0.1:26379,10.0.0.2:26379,serviceName=mymaster</c>. Null (the default): the room lives in this process
    /// alone. It may hold a password: it is never logged, and an error about it never quotes it (logs show
    /// <c>password=*****</c>). PROTOCOL.md, Rooms across nodes.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// A PEM file of the certificate authority to trust for Redis over TLS (<c>--redis-ca</c>), for a private CA; with
    /// <c>ssl=true</c> in <see cref="Redis"/>. Null (the default): the system's trusted authorities.
    /// </summary>
    public string? RedisCa { get; init; }

    /// <summary>
    /// The room's name in Redis, a key prefix (<c>--room</c>); default <c>rxchat</c>. Nodes with the same
    /// <see cref="Redis"/> and room serve one room; rooms with different names never see each other.
    /// </summary>
    public string Room { get; init; } = "rxchat";

    /// <summary>
    /// How long a node of a room may be silent before the room counts it gone (<c>--node-timeout</c>); default 5
    /// seconds. Its clients are then announced gone everywhere, and the node, if it comes back, closes its
    /// connections; a node that has had no answer from Redis for this long closes its connections too. The room's: the
    /// node that creates the room sets it, and a node given another value follows the room's and logs a warning
    /// (event 310). At least 100 milliseconds. PROTOCOL.md, Rooms across nodes.
    /// </summary>
    public TimeSpan NodeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A PEM file with the server's TLS certificate, then any intermediate authorities (<c>--tls-cert</c>), for the TLS
    /// doors (<see cref="TlsPort"/>); with <see cref="TlsKey"/>. Read at start and again whenever it or the key file
    /// changes: new connections get the new certificate, open ones keep theirs. Null (the default): no TLS.
    /// PROTOCOL.md, Doors, TLS.
    /// </summary>
    public string? TlsCertificate { get; init; }

    /// <summary>
    /// A PEM file with the private key of <see cref="TlsCertificate"/>, unencrypted (<c>--tls-key</c>); it may be the
    /// certificate's own file. Null (the default): no TLS.
    /// </summary>
    public string? TlsKey { get; init; }

    /// <summary>
    /// The port of the line door over TLS (<c>--tls-port</c>), 0 to 65535, 0 picks a free one; needs
    /// <see cref="TlsCertificate"/> and <see cref="TlsKey"/>. The plain door (<see cref="Port"/>) is served beside it.
    /// Null (the default): no TLS door. PROTOCOL.md, Doors, TLS.
    /// </summary>
    public int? TlsPort { get; init; }

    /// <summary>
    /// How long a connection to a TLS door may take to complete its handshake (<c>--tls-handshake-timeout</c>); default
    /// 10 seconds; <see cref="TimeSpan.Zero"/> turns the limit off. A connection whose handshake fails or runs out of
    /// time is closed before the chat sees it: it gets no prompt and is announced to nobody. Handshakes under way count
    /// against <see cref="MaxClients"/> as a limit of their own (a TLS connection past it is closed at once), not against
    /// the clients in the room. An RxChat option beyond PROTOCOL.md's list.
    /// </summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The port of the IRC door (<c>--irc-port</c>; 6667 is IRC's convention), 0 to 65535, 0 picks a free one. Null (the
    /// default): no IRC door. PROTOCOL.md, Doors, IRC door.
    /// </summary>
    public int? IrcPort { get; init; }

    /// <summary>
    /// The port of the IRC door over TLS (<c>--irc-tls-port</c>; 6697 is IRC's convention), 0 to 65535, 0 picks a free
    /// one; needs <see cref="TlsCertificate"/> and <see cref="TlsKey"/>. Null (the default): none. PROTOCOL.md, Doors, TLS.
    /// </summary>
    public int? IrcTlsPort { get; init; }

    /// <summary>
    /// The IRC channel that is the room (<c>--irc-channel</c>), default <c>#rxchat</c>: <c>#</c> or <c>&amp;</c> then
    /// 1 to 49 characters, none of them a space, a comma, a <c>:</c> or a control character. PROTOCOL.md, Doors, IRC
    /// door.
    /// </summary>
    public string IrcChannel { get; init; } = "#rxchat";

    /// <summary>
    /// The server name IRC clients see (<c>--irc-server-name</c>): the prefix of the server's own messages, without
    /// spaces; default the host name. PROTOCOL.md, Doors, IRC door.
    /// </summary>
    public string IrcServerName { get; init; } = DefaultServerName();

    /// <summary>
    /// Whether chat text is logged (<c>--log-messages</c>); default false, for privacy: logs then say who arrived
    /// and left, and why, but not what anyone said. An RxChat option beyond PROTOCOL.md's list.
    /// </summary>
    public bool LogMessages { get; init; }

    /// <summary>
    /// The web door's port (<c>--http-port</c>), 0 to 65535, 0 picks a free one: on <see cref="Host"/>, the page at
    /// <c>/</c>, its WebSocket at <c>/ws</c> (one line per text message each way), <c>/healthz</c> (200 once the server
    /// serves the room, 503 before) and <c>/metrics</c> (the <c>RxChat</c> meter for Prometheus); HTTPS and WSS when
    /// <see cref="TlsCertificate"/> and <see cref="TlsKey"/> are given. Null (the default): no web door.
    /// PROTOCOL.md, Doors, Web door.
    /// </summary>
    public int? HttpPort { get; init; }

    /// <summary>
    /// Other origins whose pages may open the web door's WebSocket (<c>--http-allowed-origins</c>), separated by commas
    /// or spaces, each <c>scheme://host</c> or <c>scheme://host:port</c> (<c>https://chat.example.com</c>); the page's
    /// own origin is always allowed, and any other gets 403. Null (the default): none. PROTOCOL.md, Doors, Web door.
    /// </summary>
    public string? HttpAllowedOrigins { get; init; }

    // The host name as IRC can carry it (no spaces; "localhost" when it has none).
    private static string DefaultServerName()
    {
        var name = System.Net.Dns.GetHostName();
        return string.IsNullOrWhiteSpace(name) || name.Any(c => c <= ' ' || c == ':') ? "localhost" : name;
    }
}
