using System.Diagnostics;
using System.Net;
using System.Text;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Web;

/// <summary>
/// Makes <c>docs/web-door.png</c>, the README's picture of the web door: the real server, two headless Chromium pages
/// and Debian's <c>nc</c> in a <c>tmux</c> terminal, chatting in one room; the two pages' screenshots and the
/// terminal's text are set side by side in one page, which Chromium photographs. Explicit: run it to renew the
/// picture (<c>dotnet test --filter Name=WebDoor_TwoBrowsersAndNetcat_Screenshot</c>; needs chromium, chromium-driver,
/// tmux and netcat-openbsd).
/// </summary>
[Category(Needs.Browser)]
[NonParallelizable]
public class ScreenshotTests
{
    [Test]
    [Explicit("writes docs/web-door.png")]
    [CancelAfter(120_000)]
    public async Task WebDoor_TwoBrowsersAndNetcat_Screenshot()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--http-port", "0"]);
        var web = await host.ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var browser = Browser.Start(width: 500, height: 600);
        using var terminal = Terminal.Start($"nc {host.EndPoint.Address} {host.EndPoint.Port}");

        var alice = browser.Open(web);
        browser.WaitFor("What is your name?");
        browser.Say("alice");
        browser.WaitFor("Current clients: alice");
        var bob = browser.OpenWindow(web);
        browser.WaitFor("What is your name?");
        browser.Say("bob");
        browser.WaitFor("Current clients: alice, bob");
        terminal.Type("carol");
        browser.WaitFor("carol has arrived");

        browser.In(alice).Say("Hi both! This is Chromium.");
        browser.In(bob).WaitFor("alice: Hi both! This is Chromium.");
        terminal.Type("hello from netcat");
        browser.WaitFor("carol: hello from netcat");
        browser.Say("/me waves from the other browser");
        browser.In(alice).WaitFor("* bob waves from the other browser");
        terminal.Type("tags stay text: <b>not bold</b>");
        browser.WaitFor("carol: tags stay text: <b>not bold</b>");
        browser.Say("/who");
        browser.WaitFor("Current clients: alice, bob, carol");
        browser.In(bob).WaitFor("carol: tags stay text: <b>not bold</b>");

        var folder = Directory.CreateTempSubdirectory("rxchat-screenshot").FullName;
        browser.In(alice).Screenshot(Path.Combine(folder, "alice.png"));
        browser.In(bob).Screenshot(Path.Combine(folder, "bob.png"));
        var screen = terminal.Screen();
        var page = Path.Combine(folder, "room.html");
        await File.WriteAllTextAsync(page, Compose(web, Path.Combine(folder, "alice.png"), Path.Combine(folder, "bob.png"), host.EndPoint, screen));

        using var camera = Browser.Start(width: 1620, height: 700);
        camera.Open(new Uri(page));
        var target = Path.Combine(RepositoryRoot(), "docs", "web-door.png");
        camera.Screenshot(target);
        Directory.Delete(folder, recursive: true);
        Assert.That(new FileInfo(target).Length, Is.GreaterThan(10_000));
    }

    private static string Compose(Uri web, string alice, string bob, IPEndPoint line, string terminal)
    {
        static string Image(string file) => "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(file));
        var text = WebUtility.HtmlEncode(terminal.TrimEnd());
        return $$"""
            <!doctype html>
            <meta charset="utf-8">
            <style>
            html { overflow: hidden; } body { margin: 0; padding: 20px; background: #e9e9ee; font: 13px system-ui, sans-serif; display: flex; gap: 20px; align-items: stretch; width: max-content; }
            figure { display: flex; flex-direction: column; margin: 0; border-radius: 8px; overflow: hidden; box-shadow: 0 2px 10px #0003; background: #fff; }
            figcaption { padding: 6px 10px; background: #d6d6dc; color: #333; }
            img { display: block; }
            pre { flex: 1; margin: 0; width: 520px; box-sizing: border-box; padding: 10px; background: #1e1e1e; color: #ddd; font: 13px/1.35 "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
            </style>
            <figure><figcaption>Chromium: alice at {{web}}</figcaption><img src="{{Image(alice)}}"></figure>
            <figure><figcaption>Chromium: bob at {{web}}</figcaption><img src="{{Image(bob)}}"></figure>
            <figure><figcaption>terminal: carol, nc {{line.Address}} {{line.Port}}</figcaption><pre>$ nc {{line.Address}} {{line.Port}}
            {{text}}</pre></figure>
            """;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RxChat.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("RxChat.sln not found above the test's folder");
    }

    // A program in a detached tmux session of its own, typed into with send-keys and read with capture-pane.
    private sealed class Terminal : IDisposable
    {
        private readonly string _session = $"rxchat-{Guid.NewGuid():N}";

        private Terminal()
        {
        }

        public static Terminal Start(string command)
        {
            var terminal = new Terminal();
            Tmux("new-session", "-d", "-s", terminal._session, "-x", "64", "-y", "36", command);
            return terminal;
        }

        public void Type(string text) => Tmux("send-keys", "-t", _session, "-l", text + "\n");

        public string Screen() => Tmux("capture-pane", "-p", "-t", _session);

        public void Dispose() => Tmux("kill-session", "-t", _session);

        private static string Tmux(params string[] arguments)
        {
            var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using var tmux = Process.Start(info)!;
            var output = tmux.StandardOutput.ReadToEnd();
            tmux.WaitForExit();
            return tmux.ExitCode == 0 ? output : throw new InvalidOperationException($"tmux {string.Join(' ', arguments)}: {tmux.StandardError.ReadToEnd()}");
        }
    }
}
