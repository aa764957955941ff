using System.Net;
using Microsoft.Extensions.Logging;
using RxChat.Hosting;

namespace RxChat.Tests.Support;

/// <summary>A real <see cref="ChatServer"/> on an ephemeral loopback port, with real schedulers.</summary>
internal static class TestServer
{
    /// <summary>Warnings and worse go to the test's output.</summary>
    private static readonly ILoggerFactory Logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    public static ChatServer Start(ChatServerOptions? options = null, ILoggerFactory? logs = null) =>
        ChatServer.Start((options ?? new ChatServerOptions()) with { Host = "127.0.0.1", Port = 0 }, loggerFactory: logs ?? Logs);

    public static Task<LineClient> EnterAsync(this ChatServer server, string name) => LineClient.EnterAsync(server.EndPoint, name);

    public static Task<LineClient> ConnectAsync(this ChatServer server) => LineClient.ConnectAsync(server.EndPoint);

    /// <summary>A server with the web door on an ephemeral port beside the line door.</summary>
    public static ChatServer StartWeb(ChatServerOptions? options = null, ILoggerFactory? logs = null) =>
        Start((options ?? new ChatServerOptions()) with { HttpPort = 0 }, logs);

    /// <summary>The web door's address for <paramref name="path"/>: <c>http://127.0.0.1:PORT/</c>, or <c>ws://</c> with <paramref name="socket"/>.</summary>
    public static Uri WebUri(this ChatServer server, string path = "/", bool socket = false)
    {
        var secure = server.HttpScheme == "https";
        var scheme = socket ? (secure ? "wss" : "ws") : server.HttpScheme;
        var host = secure ? "localhost" : server.HttpEndPoint!.Address.ToString();
        return new Uri($"{scheme}://{host}:{server.HttpEndPoint!.Port}{path}");
    }

    /// <summary>The web door's WebSocket address, <c>ws://127.0.0.1:PORT/ws</c>.</summary>
    public static Uri WebSocketUri(this ChatServer server) => server.WebUri("/ws", socket: true);
}
