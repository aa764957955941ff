using NUnit.Framework;
using OpenQA.Selenium;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Web;

/// <summary>
/// The web door's page in a real headless browser (Debian's Chromium, driven by Selenium WebDriver), chatting with the
/// line door's clients through the same room (PROTOCOL.md, Doors, Web door): typed into <c>#line</c>, read from
/// <c>#log</c>, one child per line received whose text is exactly that line.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Browser)]
public class PageBrowserTests
{
    [Test]
    public async Task TwoPagesAndALineClient_ChatInOneRoom()
    {
        await using var server = TestServer.StartWeb();
        using var browser = Browser.Start();
        var ann = browser.Open(server.WebUri());
        browser.WaitFor("What is your name?");
        browser.Say("ann");
        browser.WaitFor("Current clients: ann");
        var ben = browser.OpenWindow(server.WebUri());
        browser.WaitFor("What is your name?");
        browser.Say("ben");
        browser.WaitFor("Current clients: ann, ben");
        await using var cy = await server.EnterAsync("cy");

        browser.In(ann).WaitFor("cy has arrived");
        browser.Say("hello from a browser");
        await cy.ExpectAsync("ann: hello from a browser");
        await cy.SendAsync("hi from nc");
        browser.In(ben).WaitFor("hi from nc".Insert(0, "cy: "));
        browser.Say("/who");
        var benSaw = browser.WaitFor("Current clients: ann, ben, cy");
        var annSaw = browser.In(ann).WaitFor("cy: hi from nc");

        Assert.Multiple(() =>
        {
            Assert.That(benSaw, Is.EqualTo(new[]
            {
                "What is your name?", "You are ben", "Current clients: ann, ben", "cy has arrived", "ann: hello from a browser",
                "cy: hi from nc", "Current clients: ann, ben, cy",
            }), "every line ben's page received, one child each, its text exactly the line");
            Assert.That(annSaw, Is.EqualTo(new[]
            {
                "What is your name?", "You are ann", "Current clients: ann", "ben has arrived", "cy has arrived", "ann: hello from a browser",
                "cy: hi from nc",
            }));
        });
    }

    [Test]
    public async Task OnAPhonesScreen_HistoryAndWhoShowAsLines_TheInputStaysInView_NothingScrollsSideways()
    {
        await using var server = TestServer.StartWeb();
        using var browser = Browser.Start(width: 360, height: 640);
        browser.Open(server.WebUri());
        browser.WaitFor("What is your name?");
        browser.Say("ann");
        browser.WaitFor("Current clients: ann");
        await using var cy = await server.EnterAsync("cy");
        browser.WaitFor("cy has arrived");

        var one = "one " + string.Concat(Enumerable.Repeat("long-word-without-a-break ", 12));
        await cy.SendAsync(one);
        await cy.ExpectAsync("cy: " + one);
        browser.Say("two");
        await cy.ExpectAsync("ann: two");
        browser.Say("/history 5");
        browser.WaitFor("History: 2 lines");
        browser.Say("/who");
        var lines = browser.WaitFor("Current clients: ann, cy");
        var history = lines.SkipWhile(line => line != "History: 2 lines").Skip(1).Take(2).ToArray();
        var sideways = browser.Script(
            "const log = document.getElementById('log'), page = document.documentElement;" +
            "return Math.max(page.scrollWidth - page.clientWidth, log.scrollWidth - log.clientWidth);");
        var input = browser.Script(
            "const r = document.getElementById('line').getBoundingClientRect();" +
            "return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;");

        Assert.Multiple(() =>
        {
            Assert.That(history, Has.Length.EqualTo(2));
            Assert.That(history, Has.All.Match(@"^\[\d\d:\d\d:\d\d\] "), "each history line is one line of the log, as sent");
            Assert.That(history[0], Does.EndWith("] cy: " + one));
            Assert.That(history[1], Does.EndWith("] ann: two"));
            Assert.That(lines[^1], Is.EqualTo("Current clients: ann, cy"));
            Assert.That(sideways, Is.EqualTo(0L), "a long line wraps; the page never scrolls sideways on a 360-pixel screen");
            Assert.That(input, Is.EqualTo(true), "the input is on screen after the log has grown");
        });
    }

    [Test]
    public async Task LineWithMarkup_ShowsAsText_NothingRunsOrLoads()
    {
        await using var server = TestServer.StartWeb();
        using var browser = Browser.Start();
        browser.Open(server.WebUri());
        browser.WaitFor("What is your name?");
        browser.Say("ann");
        browser.WaitFor("Current clients: ann");
        await using var cy = await server.EnterAsync("cy");

        await cy.SendAsync("<img src=x onerror=alert(1)>");
        await cy.SendAsync("<script>alert(2)</script><b>bold</b> &amp; &lt;");
        var lines = browser.WaitFor("cy: <script>alert(2)</script><b>bold</b> &amp; &lt;");
        var elements = browser.Script("return document.querySelectorAll('#log img, #log script, #log b').length;");
        var fetched = browser.Script("return performance.getEntriesByType('resource').map(e => e.name);");

        Assert.Multiple(() =>
        {
            Assert.That(lines, Does.Contain("cy: <img src=x onerror=alert(1)>"));
            Assert.That(elements, Is.EqualTo(0L), "no element made from a line");
            Assert.That(() => browser.Driver.SwitchTo().Alert(), Throws.InstanceOf<NoAlertPresentException>(), "no script ran");
            Assert.That(fetched, Is.Empty, "the page fetched nothing after itself: script and style are inside it");
        });
    }

    [Test]
    public async Task Page_ReconnectsAfterItsNodeRestarts_AndEntersAgainUnderItsName()
    {
        using var browser = Browser.Start();
        var port = await EnterAsAnnThenStopTheServerAsync(browser);

        browser.WaitFor("Server shutting down");
        await using var second = TestServer.Start(new ChatServerOptions { HttpPort = port });
        await using var cy = await second.EnterAsync("cy");
        await cy.ExpectAsync("ann has arrived");
        var lines = browser.WaitFor("You are ann", occurrence: 2);
        browser.Say("back again");

        Assert.Multiple(async () =>
        {
            Assert.That(lines.Count(l => l == "What is your name?"), Is.EqualTo(2), "a second socket, prompted again");
            Assert.That(browser.Script("return document.getElementById('status').textContent;"), Is.EqualTo("connected as ann"));
            Assert.That(await cy.ReadLineAsync(), Is.EqualTo("ann: back again"));
        });
    }

    [Test]
    public async Task Page_WhoseNameIsStillHeldWhenItComesBack_AsksAgainUntilItIsFree()
    {
        // As after a node crash or a dropped network: the page comes back before the room has seen its old
        // connection go (across nodes, up to the node timeout). Here a line client holds the name meanwhile.
        using var browser = Browser.Start();
        var port = await EnterAsAnnThenStopTheServerAsync(browser);

        await using var second = TestServer.Start(new ChatServerOptions { HttpPort = port });
        var holder = await second.EnterAsync("ann");
        browser.WaitFor("error: name 'ann' is taken");
        var status = browser.Script("return document.getElementById('status').textContent;") as string;
        await holder.SendAsync("/quit");
        await holder.DisposeAsync();
        var lines = browser.WaitFor("You are ann", occurrence: 2);

        Assert.Multiple(() =>
        {
            Assert.That(status, Does.StartWith("the name ann is still held"));
            Assert.That(lines.SkipWhile(l => l != "error: name 'ann' is taken").Last(), Is.EqualTo("Current clients: ann").Or.EqualTo("You are ann"));
            Assert.That(browser.Script("return document.getElementById('status').textContent;"), Is.EqualTo("connected as ann"));
        });
    }

    // A page enters as ann on a server of its own, which then shuts down; returns its web port, for the next one.
    private static async Task<int> EnterAsAnnThenStopTheServerAsync(Browser browser)
    {
        var first = TestServer.StartWeb();
        try
        {
            browser.Open(first.WebUri());
            browser.WaitFor("What is your name?");
            browser.Say("ann");
            browser.WaitFor("Current clients: ann");
            return first.HttpEndPoint!.Port;
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
    }
}
