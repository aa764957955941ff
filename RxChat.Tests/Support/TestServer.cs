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
}
