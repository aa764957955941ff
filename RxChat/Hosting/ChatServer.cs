using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Hosting;

/// <summary>
/// A running chat server: a <see cref="TcpChatListener"/> feeding a <see cref="Broadcaster"/>. The public facade
/// for applications and tests; <c>Program</c> runs one inside the generic host.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly TcpChatListener _listener;
    private readonly IDisposable _subscription;

    private ChatServer(TcpChatListener listener, IDisposable subscription)
    {
        _listener = listener;
        _subscription = subscription;
    }

    /// <summary>The address and port the server listens on (the real port when the options asked for 0).</summary>
    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>
    /// Binds, listens and starts serving. Returns once connections are accepted.
    /// </summary>
    /// <param name="options">The settings; see <see cref="ChatServerOptions"/>.</param>
    /// <param name="scheduler">The source of time; default <see cref="ChatSchedulers.Time"/>.</param>
    /// <param name="writerScheduler">Where writers run; default <see cref="ChatSchedulers.Writers"/>.</param>
    /// <param name="loggerFactory">Where logs go; default none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (for example, the port is in use).</exception>
    public static ChatServer Start(ChatServerOptions options, IScheduler? scheduler = null, IScheduler? writerScheduler = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        scheduler ??= ChatSchedulers.Time;
        loggerFactory ??= NullLoggerFactory.Instance;
        var listener = TcpChatListener.Bind(options, scheduler, loggerFactory.CreateLogger("RxChat.Transport"));
        var broadcaster = new Broadcaster(options, scheduler, writerScheduler ?? ChatSchedulers.Writers);
        var subscription = broadcaster.Run(listener.Connections).Subscribe();
        return new ChatServer(listener, subscription);
    }

    /// <summary>Stops accepting and stops the chat at once.</summary>
    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        _subscription.Dispose();
        return ValueTask.CompletedTask;
    }
}
