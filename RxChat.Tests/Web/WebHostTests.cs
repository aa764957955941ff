using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Web;

/// <summary>
/// The web door in the real server (PROTOCOL.md, Doors, Web door, and Server options): <c>--http-port</c> and
/// <c>--http-allowed-origins</c> checked before anything listens, its listening line, its port in use, <c>/healthz</c>,
/// <c>/metrics</c> through OpenTelemetry's Prometheus exporter, and the page's headers.
/// </summary>
[CancelAfter(60_000)]
public partial class WebHostTests
{
    private static async Task<(int Status, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var status = await ChatHost.RunAsync(args, output, error);
        return (status, output.ToString(), error.ToString());
    }

    [TestCase("--http-port", "65536", "--http-port (RXCHAT_HTTP_PORT): ")]
    [TestCase("--http-port", "web", "--http-port (RXCHAT_HTTP_PORT): ")]
    [TestCase("--http-allowed-origins", "chat.example.com", "--http-allowed-origins (RXCHAT_HTTP_ALLOWED_ORIGINS): 'chat.example.com' is not an origin")]
    [TestCase("--http-allowed-origins", "https://chat.example.com/room", "'https://chat.example.com/room' is not an origin")]
    [TestCase("--http-allowed-origins", "ftp://chat.example.com", "'ftp://chat.example.com' is not an origin")]
    public async Task Host_BadWebOption_Exits2NamingIt(string option, string value, string says)
    {
        var (status, output, error) = await RunAsync("--port", "0", option, value);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(ChatHost.BadOption));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith($"rxchat: {option} "));
            Assert.That(error, Does.Contain(says));
            Assert.That(output, Is.Empty, "nothing listens");
        });
    }

    [Test]
    public async Task Host_HttpPortInUse_NamesThatPortAndExits1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var (status, output, error) = await RunAsync("--port", "0", "--http-port", port);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(ChatHost.CannotListen));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith($"rxchat: cannot listen on 127.0.0.1:{port}: "));
            Assert.That(output, Is.Empty);
        });
    }

    [Test]
    public async Task Host_WebDoor_PrintsItsLineAfterTheLineDoors_AndServesPageHealthAndSocket()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--http-port", "0"]);
        var web = await host.ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient();

        using var page = await http.GetAsync(web);
        var html = await page.Content.ReadAsStringAsync();
        using var health = await http.GetAsync(new Uri(web, "/healthz"));
        using var missing = await http.GetAsync(new Uri(web, "/nothing"));
        using var post = await http.PostAsync(web, new StringContent("x"));
        using var plainSocket = await http.GetAsync(new Uri(web, "/ws"));
        await using var carol = await WebSocketClient.EnterAsync(new Uri($"ws://{web.Authority}/ws"), "carol");
        await using var bob = await LineClient.EnterAsync(host.EndPoint, "bob");

        Assert.Multiple(async () =>
        {
            Assert.That(host.Output, Is.EqualTo(new[] { $"listening on {host.EndPoint}", $"listening on {web.Authority} (http)" }));
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(page.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/html; charset=utf-8"));
            Assert.That(html, Does.Contain("id=\"log\"").And.Contain("id=\"line\""));
            Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("default-src 'none'; script-src 'sha256-"));
            Assert.That(page.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("ok\n"));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
            Assert.That(plainSocket.StatusCode, Is.EqualTo(HttpStatusCode.UpgradeRequired), "/ws without an upgrade");
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("bob has arrived"));
        });
    }

    [Test]
    public async Task Metrics_ListTheDeliveredLines_AndTheCountGrowsAsLinesAreDelivered()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--http-port", "0"]);
        var web = await host.ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient();
        await using var carol = await WebSocketClient.EnterAsync(new Uri($"ws://{web.Authority}/ws"), "carol");
        await using var bob = await LineClient.EnterAsync(host.EndPoint, "bob");
        await carol.ExpectAsync("bob has arrived");
        var before = await ScrapeAsync(http, web);

        for (var i = 0; i < 5; i++)
        {
            await bob.SendAsync($"line {i}");
            await bob.ExpectAsync($"bob: line {i}");
            await carol.ExpectAsync($"bob: line {i}");
        }

        var after = await ScrapeAsync(http, web);

        Assert.Multiple(() =>
        {
            Assert.That(before.ContentType, Does.StartWith("text/plain"));
            Assert.That(before.Text, Does.Contain("# TYPE rxchat_lines_delivered_total counter"));
            Assert.That(after.Text, Does.Contain("rxchat_clients{"));
            // Both clients' every line: the welcome lines and the arrival before; ten chat lines between.
            Assert.That(Delivered(after.Text) - Delivered(before.Text), Is.EqualTo(10));
            Assert.That(Value(after.Text, "rxchat_lines_received_total") - Value(before.Text, "rxchat_lines_received_total"), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Metrics_BeforeAnyConnection_ListTheServersInstrumentsAtZero()
    {
        // An operator's dashboard and its "metric absent" alerts need the series from the start, not from the first
        // connection (found by a new user's trial: only target_info until then).
        await using var host = await HostProcess.StartAsync(["--port", "0", "--http-port", "0"]);
        var web = await host.ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient();

        var (text, _) = await ScrapeAsync(http, web);

        Assert.Multiple(() =>
        {
            foreach (var name in new[]
            {
                "rxchat_connections", "rxchat_clients", "rxchat_connections_accepted_total", "rxchat_lines_received_total",
                "rxchat_lines_delivered_total", "rxchat_lines_dropped_total",
            })
            {
                Assert.That(Value(text, name), Is.Zero, name);
            }
        });
    }

    private static async Task<(string Text, string ContentType)> ScrapeAsync(HttpClient http, Uri web)
    {
        using var response = await http.GetAsync(new Uri(web, "/metrics"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString() ?? "");
    }

    private static double Delivered(string metrics) => Value(metrics, "rxchat_lines_delivered_total");

    // The value of a metric's one sample (whatever its labels) in the Prometheus text format.
    private static double Value(string metrics, string name)
    {
        var sample = metrics.Split('\n').Single(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(Sample().Match(sample).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\s(\S+)(\s\d+)?$")]
    private static partial Regex Sample();
}
