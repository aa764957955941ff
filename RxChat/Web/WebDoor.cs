using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using RxChat.Transport;

namespace RxChat.Web;

/// <summary>
/// The web door (PROTOCOL.md, Doors, Web door; <c>--http-port</c>): Kestrel on the server's address, serving
/// <list type="table">
/// <item><term><c>GET /healthz</c></term><description><c>200</c> once the server serves the room (its <c>Ready</c>), <c>503</c> before and while it stops</description></item>
/// <item><term><c>GET /metrics</c></term><description>the <c>RxChat</c> meter in the Prometheus text format, through OpenTelemetry's exporter</description></item>
/// </list>
/// The door binds and listens when it starts, so that a load balancer's health check is answered (<c>503</c>) while a
/// node of a room waits to join it.
/// </summary>
internal sealed class WebDoor : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider _meters;
    private readonly ILogger _logger;

    // The server's Ready once it is known; null before.
    private volatile Task? _ready;
    private volatile bool _stopping;

    private WebDoor(WebApplication app, MeterProvider meters, ILoggerFactory loggerFactory)
    {
        _app = app;
        _meters = meters;
        _logger = loggerFactory.CreateLogger("RxChat.Web");
    }

    /// <summary>The address and port listened on (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; private set; } = null!;

    /// <summary><c>http</c>.</summary>
    public string Scheme => "http";

    /// <summary>Starts Kestrel: binds and listens on <paramref name="address"/> and <paramref name="port"/>.</summary>
    /// <param name="address">The address, as the line door listens on it.</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="loggerFactory">Where logs go (Kestrel's too).</param>
    /// <exception cref="BindException">The address cannot be bound (the port is in use, say).</exception>
    public static WebDoor Start(IPAddress address, int port, ILoggerFactory loggerFactory)
    {
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
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        // The exporter's own provider, reading the RxChat meter; every scrape collects afresh (no cached answer).
        var meters = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("rxchat", serviceVersion: typeof(WebDoor).Assembly.GetName().Version?.ToString()))
            .AddMeter(ChatMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
        var app = builder.Build();
        var door = new WebDoor(app, meters, loggerFactory);
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
    /// <c>200</c>; the door's listening line is logged then.
    /// </summary>
    public void Serve(Task ready)
    {
        _ready = ready;
        ready.ContinueWith(
            _ => WebLog.Listening(_logger, EndPoint, Scheme),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The server is shutting down: <c>/healthz</c> says <c>503</c>.</summary>
    public void StopAccepting() => _stopping = true;

    /// <summary>Stops Kestrel and the exporter.</summary>
    public async ValueTask DisposeAsync()
    {
        StopAccepting();
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

    private Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        var path = context.Request.Path.Value;
        if (path is not "/healthz")
        {
            return Status(response, StatusCodes.Status404NotFound, "not found: /healthz, /metrics");
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            return Status(response, StatusCodes.Status405MethodNotAllowed, "method not allowed");
        }

        return IsReady
            ? Status(response, StatusCodes.Status200OK, "ok")
            : Status(response, StatusCodes.Status503ServiceUnavailable, _stopping ? "stopping" : "not serving the room yet");
    }

    private static Task Status(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text + "\n");
    }

    // The host lifetime of the door's own web application: it waits for no signal, and stops when told.
    private sealed class ServerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
