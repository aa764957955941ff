using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using ChatClient;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace Samples.Tests;

/// <summary>
/// The ChatClient sample against a real server: its logic in process over pipes standing in for stdin and
/// stdout, and the program itself as a process (<c>dotnet ChatClient.dll HOST PORT</c>).
/// </summary>
public class ChatClientTests
{
    [Test]
    [CancelAfter(20_000)]
    public async Task ChatClient_NameThenLine_EntersAndOthersSeeTheLine(CancellationToken cancellationToken)
    {
        await using var server = TestServer.Start();
        await using var dave = await LineClient.EnterAsync(server.EndPoint, "dave", cancellationToken);
        var (stdin, stdout) = (new Pipe(), new Pipe());
        var input = new StreamWriter(stdin.Writer.AsStream(), new UTF8Encoding(false)) { AutoFlush = true };
        var output = new StreamReader(stdout.Reader.AsStream());

        var run = NetCat.RunAsync(
            "127.0.0.1", server.EndPoint.Port, new StreamReader(stdin.Reader.AsStream()),
            new StreamWriter(stdout.Writer.AsStream()) { AutoFlush = true }, cancellationToken);
        var prompt = await output.ReadLineAsync(cancellationToken);
        await input.WriteLineAsync("carol");
        var welcome = new[] { await output.ReadLineAsync(cancellationToken), await output.ReadLineAsync(cancellationToken) };
        await input.WriteLineAsync("hello dave");
        var daveSaw = await dave.ReadLinesAsync(2);

        // The end of the input half-closes; the server then closes, and the client returns.
        await input.DisposeAsync();
        await run;
        var left = await dave.ReadLineAsync();

        Assert.Multiple(() =>
        {
            Assert.That(prompt, Is.EqualTo("What is your name?"));
            Assert.That(welcome, Is.EqualTo(new[] { "You are carol", "Current clients: dave, carol" }));
            Assert.That(daveSaw, Is.EqualTo(new[] { "carol has arrived", "carol: hello dave" }));
            Assert.That(left, Is.EqualTo("carol has left"));
        });
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task ChatClient_ServerStops_ReturnsWhileInputIsStillOpen(CancellationToken cancellationToken)
    {
        var server = TestServer.Start();
        var (stdin, stdout) = (new Pipe(), new Pipe());
        var output = new StreamReader(stdout.Reader.AsStream());
        var run = NetCat.RunAsync(
            "127.0.0.1", server.EndPoint.Port, new StreamReader(stdin.Reader.AsStream()),
            new StreamWriter(stdout.Writer.AsStream()) { AutoFlush = true }, cancellationToken);
        var prompt = await output.ReadLineAsync(cancellationToken);

        await server.DisposeAsync();
        await run;
        var last = await output.ReadLineAsync(cancellationToken);
        await stdin.Writer.CompleteAsync();

        Assert.Multiple(() =>
        {
            Assert.That(prompt, Is.EqualTo("What is your name?"));
            Assert.That(last, Is.EqualTo("Server shutting down"));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ChatClientProgram_StdinEnds_PrintsTheChatAndExitsZero(CancellationToken cancellationToken)
    {
        await using var server = TestServer.Start();
        await using var dave = await LineClient.EnterAsync(server.EndPoint, "dave", cancellationToken);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(NetCat).Assembly.Location);
        info.ArgumentList.Add("127.0.0.1");
        info.ArgumentList.Add(server.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(info)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);

            // The name is just the first line, typed before or after the prompt; then a line; then Ctrl+D.
            await process.StandardInput.WriteAsync("erin\nhi all\n");
            var daveSaw = await dave.ReadLinesAsync(2);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
            var (output, errors, left) = (await stdout, await stderr, await dave.ReadLineAsync());

            Assert.Multiple(() =>
            {
                Assert.That(process.ExitCode, Is.EqualTo(0), errors);
                Assert.That(
                    output.Split('\n'),
                    Is.EqualTo(new[] { "What is your name?", "You are erin", "Current clients: dave, erin", "erin: hi all", string.Empty }));
                Assert.That(daveSaw, Is.EqualTo(new[] { "erin has arrived", "erin: hi all" }));
                Assert.That(left, Is.EqualTo("erin has left"));
            });
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
