using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RxChat.Hosting;

/// <summary>Runs one <see cref="ChatServer"/> for the generic host's lifetime.</summary>
/// <param name="options">The server's settings.</param>
/// <param name="loggerFactory">Where logs go.</param>
/// <param name="meterFactory">Where the <c>RxChat</c> meter comes from.</param>
public sealed class ChatServerService(ChatServerOptions options, ILoggerFactory loggerFactory, IMeterFactory meterFactory) : IHostedService
{
    private ChatServer? _server;

    /// <summary>Where the server listens; null before it has started.</summary>
    public IPEndPoint? EndPoint => _server?.EndPoint;

    /// <summary>Where the line door over TLS listens; null before the server has started, or without one.</summary>
    public IPEndPoint? TlsEndPoint => _server?.TlsEndPoint;

    /// <summary>The IRC door's address once started; null before, or when there is none.</summary>
    public IPEndPoint? IrcEndPoint => _server?.IrcEndPoint;

    /// <summary>The IRC door over TLS's address once started; null before, or when there is none.</summary>
    public IPEndPoint? IrcTlsEndPoint => _server?.IrcTlsEndPoint;

    /// <summary>Where the web door listens; null before the server has started, or without one.</summary>
    public IPEndPoint? HttpEndPoint => _server?.HttpEndPoint;

    /// <summary>The web door's scheme, <c>http</c> or <c>https</c>; null before the server has started, or without a web door.</summary>
    public string? HttpScheme => _server?.HttpScheme;

    /// <summary>Completes once newcomers are served (<see cref="ChatServer.Ready"/>); never before the server has started.</summary>
    public Task Ready => _server?.Ready ?? Task.Delay(Timeout.Infinite);

    /// <summary>Binds and starts serving.</summary>
    /// <param name="cancellationToken">Unused: starting does not wait.</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _server = ChatServer.Start(options, loggerFactory: loggerFactory, meterFactory: meterFactory);
        return Task.CompletedTask;
    }

    /// <summary>Shuts the server down gracefully (<see cref="ChatServer.StopAsync"/>).</summary>
    /// <param name="cancellationToken">Cut short by the host: connections still open are closed at once.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
