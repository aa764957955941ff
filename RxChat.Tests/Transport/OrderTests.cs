using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>PROTOCOL.md, Chatting: one total order, under concurrent senders over real sockets.</summary>
[CancelAfter(60_000)]
public class OrderTests
{
    [Test]
    public async Task ConcurrentSenders_EveryReceiverSeesTheSameSequenceWithArrivalsAndDeparturesAround()
    {
        const int senders = 5, receivers = 10, lines = 200;
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0 });
        var listeners = new List<LineClient>();
        for (var r = 0; r < receivers; r++)
        {
            listeners.Add(await server.EnterAsync($"r{r}"));
        }

        // Each receiver reads until it has seen every sender leave; the senders enter, send, and leave.
        var reading = listeners.Select(l => Task.Run(async () =>
        {
            var seen = new List<string>();
            var left = 0;
            while (left < senders && await l.ReadLineAsync() is { } line)
            {
                if (line.StartsWith('s'))
                {
                    seen.Add(line);
                    left += line.EndsWith(" has left", StringComparison.Ordinal) ? 1 : 0;
                }
            }

            return seen;
        })).ToArray();

        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            await using var sender = await server.EnterAsync($"s{s}");
            for (var i = 0; i < lines; i++)
            {
                await sender.SendAsync($"line {i}");
            }

            sender.ShutdownSend();
            await sender.ReadToEndAsync();
        })));
        var sequences = await Task.WhenAll(reading);

        Assert.Multiple(() =>
        {
            Assert.That(sequences[0], Has.Count.EqualTo(senders * (lines + 2)));
            foreach (var sequence in sequences.Skip(1))
            {
                Assert.That(sequence, Is.EqualTo(sequences[0]), "every receiver sees the same sequence");
            }

            for (var s = 0; s < senders; s++)
            {
                var mine = sequences[0].Where(l => l.StartsWith($"s{s} ", StringComparison.Ordinal) || l.StartsWith($"s{s}:", StringComparison.Ordinal)).ToList();
                var expected = Enumerable.Range(0, lines).Select(i => $"s{s}: line {i}").Prepend($"s{s} has arrived").Append($"s{s} has left");
                Assert.That(mine, Is.EqualTo(expected), $"s{s}: arrival first, lines in order, departure last");
            }
        });

        foreach (var l in listeners)
        {
            await l.DisposeAsync();
        }
    }
}
