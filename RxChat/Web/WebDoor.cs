using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Web;

/// <summary>
/// The web door (PROTOCOL.md, Doors, Web door; <c>--http-port</c>): Kestrel on the server's address, serving
/// <list type="table">
/// <item><term><c>GET /</c></term><description>the page, a complete chat client (<see cref="WebPage"/>)</description></item>
/// <item><term><c>GET /ws</c></term><description>
/// the WebSocket, another door onto the same connections: each accepted socket is a <see cref="WebSocketConnection"/>
/// on <see cref="Accepted"/>, numbered with the server's other doors; <c>403</c> when the page's origin is not allowed
/// (<see cref="AllowedOrigins"/>), <c>503</c> before the server serves the room and once it stops
/// </description></item>
/// <item><term><c>GET /healthz</c></term><description><c>200</c> while the server serves the room (after its <c>Ready</c>, and not while a node of a room has lost contact with it), <c>503</c> otherwise and while it stops</description></item>
/// <item><term><c>GET /metrics</c></term><description>the <c>RxChat</c> meter in the Prometheus text format, through OpenTelemetry's exporter</description></item>
/// </list>
/// over HTTPS and WSS when the server has a TLS certificate (<see cref="ServerCertificate"/>, its current certificate
/// for every handshake, so that a renewed one is served without a restart). The door binds and listens when it
/// starts, so that a load balancer's health check is answered (<c>503</c>) while a node of a room waits to join it.
/// The WebSocket's keep-alive: a ping every <see cref="KeepAliveInterval"/>, and a client whose pong does not come
/// within as long again is cut off (the idle timeout, which counts lines only, is the core's, as for every client).
/// </summary>
internal sealed class WebDoor : IAsyncDisposable
{
    /// <summary>The longest time between keep-alive pings (shorter when half the idle timeout is shorter).</summary>
    public static readonly TimeSpan MaxKeepAliveInterval = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly MeterProvider _meters;
    private readonly ChatServerOptions _options;
    private readonly ConnectionNumbers _numbers;
    private readonly IScheduler _scheduler;
    private readonly ChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ILogger _transportLogger;
    private readonly AllowedOrigins _origins;
    private readonly ISubject<IChatConnection> _accepted = Subject.Synchronize(new Subject<IChatConnection>());
    private readonly ConcurrentDictionary<WebSocketConnection, bool> _open = new();
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The server's Ready once it is known; null before.
    private volatile Task? _ready;
    private volatile bool _stopping;
    private int _stopped;

    // Open WebSockets, plus one until the door stops accepting.
    private int _count = 1;

    private WebDoor(
        WebApplication app, MeterProvider meters, ChatServerOptions options, ConnectionNumbers numbers, IScheduler scheduler, ChatMetrics metrics,
        ILoggerFactory loggerFactory, AllowedOrigins origins, bool tls)
    {
        _app = app;
        _meters = meters;
        _options = options;
        _numbers = numbers;
        _scheduler = scheduler;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("RxChat.Web");
        _transportLogger = loggerFactory.CreateLogger("RxChat.Transport");
        _origins = origins;
        Scheme = tls ? "https" : "http";
        var idleHalf = TimeSpan.FromTicks(options.IdleTimeout.Ticks / 2);
        KeepAliveInterval = options.IdleTimeout > TimeSpan.Zero && idleHalf < MaxKeepAliveInterval ? idleHalf : MaxKeepAliveInterval;
    }

    /// <summary>The address and port listened on (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; private set; } = null!;

    /// <summary><c>http</c>, or <c>https</c> when the door speaks TLS.</summary>
    public string Scheme { get; }

    /// <summary>How often an open WebSocket is pinged: half the idle timeout, at most <see cref="MaxKeepAliveInterval"/>.</summary>
    public TimeSpan KeepAliveInterval { get; }

    /// <summary>
    /// Accepted WebSockets. Hot: a connection accepted while nobody subscribes is lost, so the server subscribes before
    /// it calls <see cref="Serve"/>, and upgrades are refused until then. Notifies on Kestrel's threads, one at a time.
    /// </summary>
    public IObservable<IChatConnection> Accepted => _accepted.AsObservable();

    /// <summary>Completes once the door has stopped accepting (<see cref="StopAccepting"/>) and every WebSocket is closed; never fails.</summary>
    public Task AllClosed => _allClosed.Task;

    /// <summary>Starts Kestrel: binds and listens on <paramref name="address"/> and <paramref name="port"/>.</summary>
    /// <param name="options">The server's options (limits, allowed origins, the TLS handshake timeout).</param>
    /// <param name="address">The address, as the line door listens on it.</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="numbers">The connection numbers the server's doors share.</param>
    /// <param name="scheduler">The source of time.</param>
    /// <param name="certificate">The TLS certificate for HTTPS and WSS; null for plain HTTP.</param>
    /// <param name="metrics">The server's instruments: counted here as for every door, exported at <c>/metrics</c>.</param>
    /// <param name="loggerFactory">Where logs go (Kestrel's too).</param>
    /// <exception cref="ArgumentException"><see cref="ChatServerOptions.HttpAllowedOrigins"/> holds something that is not an origin.</exception>
    /// <exception cref="BindException">The address cannot be bound (the port is in use, say).</exception>
    public static WebDoor Start(
        ChatServerOptions options, IPAddress address, int port, ConnectionNumbers numbers, IScheduler scheduler, ServerCertificate? certificate,
        ChatMetrics metrics, ILoggerFactory loggerFactory)
    {
        AllowedOrigins origins;
        try
        {
            origins = AllowedOrigins.Parse(options.HttpAllowedOrigins);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"HttpAllowedOrigins: {e.Message}", nameof(options), e);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "RxChat" });
        builder.Services.AddSingleton(loggerFactory);

        // The door lives and stops with the chat server, never on its own: no console lifetime catching signals.
        builder.Services.AddSingleton<IHostLifetime, ServerLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // The door's address is the options' alone: ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS (set in .NET's container
        // images) and the like are not this server's settings, and would only draw Kestrel's warning that they are overridden.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, "").UseSetting("http_ports", "").UseSetting("https_ports", "");
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    // The TCP doors' options for every handshake: the certificate the files hold now, with the
                    // intermediates of a full chain file (a certificate alone would leave browsers without them).
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = _ => ValueTask.FromResult(certificate.Options),
                        HandshakeTimeout = options.TlsHandshakeTimeout > TimeSpan.Zero ? options.TlsHandshakeTimeout : Timeout.InfiniteTimeSpan,
                    });
                }
            });
        });
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        // The exporter's own provider, reading the RxChat meter; every scrape collects afresh (no cached answer).
        var meters = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("rxchat", serviceVersion: typeof(WebDoor).Assembly.GetName().Version?.ToString()))
            .AddMeter(ChatMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
        var app = builder.Build();
        var door = new WebDoor(app, meters, options, numbers, scheduler, metrics, loggerFactory, origins, certificate is not null);
        app.UseWebSockets();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null);
        app.Run(door.HandleAsync);
        try
        {
            // Kestrel binds as it starts; ChatServer.Start is synchronous, and so is binding the other doors.
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException or SocketException)
        {
            meters.Dispose();
            ((IDisposable)app).Dispose();
            var error = e.InnerException as SocketException ?? new SocketException((int)SocketError.AddressAlreadyInUse);
            throw new BindException(new IPEndPoint(address, port), error);
        }
        catch
        {
            meters.Dispose();
            ((IDisposable)app).Dispose();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        door.EndPoint = new IPEndPoint(address, new Uri(bound).Port);
        return door;
    }

    /// <summary>
    /// Serves the chat once <paramref name="ready"/> (the server's Ready) completes: from then on <c>/healthz</c> is
    /// <c>200</c> and WebSockets are accepted; the door's listening line is logged then.
    /// </summary>
    public void Serve(Task ready, Func<bool> serving)
    {
        _serving = serving;
        _ready = ready;
        ready.ContinueWith(
            _ => WebLog.Listening(_logger, EndPoint, Scheme),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The server is shutting down: no more WebSockets are accepted (<c>503</c>), <c>/healthz</c> says <c>503</c>, and
    /// every WebSocket closed from now on closes with 1001 (going away).
    /// </summary>
    public void StopAccepting()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _stopping = true;
            Release();
        }
    }

    /// <summary>Closes every WebSocket still open at once, without flushing (the end of a shutdown that ran out of time).</summary>
    public void Abort()
    {
        foreach (var connection in _open.Keys)
        {
            connection.Abort();
        }
    }

    /// <summary>Stops Kestrel and the exporter; WebSockets still open are aborted.</summary>
    public async ValueTask DisposeAsync()
    {
        StopAccepting();
        Abort();
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            WebLog.StopFailed(_logger, e);
        }
        finally
        {
            _meters.Dispose();
        }
    }

    private bool IsReady => _ready is { IsCompletedSuccessfully: true } && !_stopping;

    // The room takes newcomers now: false while a node of a room has lost contact with it (its newcomers would be
    // refused with 'error: room unavailable'), so that a load balancer sends them elsewhere.
    private Func<bool> _serving = static () => true;

    private Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        var path = context.Request.Path.Value;
        if (path is not ("/" or "/healthz" or "/ws"))
        {
            return Status(response, StatusCodes.Status404NotFound, "not found: the page is at /, the WebSocket at /ws");
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !(HttpMethods.IsHead(context.Request.Method) && path != "/ws"))
        {
            response.Headers.Allow = path == "/ws" ? "GET" : "GET, HEAD";
            return Status(response, StatusCodes.Status405MethodNotAllowed, "method not allowed");
        }

        return path switch
        {
            "/" => PageAsync(response),
            "/healthz" => !IsReady
                ? Status(response, StatusCodes.Status503ServiceUnavailable, _stopping ? "stopping" : "not serving the room yet")
                : _serving()
                ? Status(response, StatusCodes.Status200OK, "ok")
                : Status(response, StatusCodes.Status503ServiceUnavailable, "not serving the room now: no contact with it"),
            _ => WebSocketAsync(context),
        };
    }

    private static async Task PageAsync(HttpResponse response)
    {
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentSecurityPolicy = WebPage.ContentSecurityPolicy;
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.ContentLength = WebPage.Html.Length;
        await response.Body.WriteAsync(WebPage.Html).ConfigureAwait(false);
    }

    private static Task Status(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text + "\n");
    }

    private async Task WebSocketAsync(HttpContext context)
    {
        var response = context.Response;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            response.Headers.Upgrade = "websocket";
            await Status(response, StatusCodes.Status426UpgradeRequired, "a WebSocket upgrade is expected here").ConfigureAwait(false);
            return;
        }

        var remoteAddress = EndPointText.Format(new IPEndPoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort));
        var request = context.Request;
        var origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
        if (!_origins.Allows(origin, request.Scheme, request.Host.Value ?? ""))
        {
            WebLog.OriginRefused(_logger, remoteAddress, origin!);
            await Status(response, StatusCodes.Status403Forbidden, "this page's origin may not open the chat's WebSocket").ConfigureAwait(false);
            return;
        }

        if (!IsReady)
        {
            await Status(response, StatusCodes.Status503ServiceUnavailable, _stopping ? "stopping" : "not serving the room yet").ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _count);
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = KeepAliveInterval,
                KeepAliveTimeout = KeepAliveInterval,
                DangerousEnableCompression = false,
            }).ConfigureAwait(false);
            var connection = new WebSocketConnection(
                _numbers.Next(), socket, remoteAddress, _options, _scheduler, _transportLogger, _metrics, () => _stopping);
            _open.TryAdd(connection, true);
            TransportLog.Accepted(_transportLogger, connection.Id, remoteAddress);
            if (_stopping)
            {
                // The server stopped taking connections as this one was accepted: it would go nowhere.
                connection.Abort();
            }
            else
            {
                // The prompt goes out when the arrival's step is done, on this thread, as for a line connection.
                using (SendBatch.Begin())
                {
                    _accepted.OnNext(connection);
                }
            }

            await connection.Closed.ConfigureAwait(false);
            _open.TryRemove(connection, out _);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            // The upgrade itself failed (the client went away).
        }
        finally
        {
            Release();
        }
    }

    // One WebSocket closed, or the door stopped accepting.
    private void Release()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _allClosed.TrySetResult();
        }
    }

    // The host lifetime of the door's own web application: it waits for no signal, and stops when told.
    private sealed class ServerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
