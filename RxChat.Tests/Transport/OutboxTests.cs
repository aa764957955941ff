using NUnit.Framework;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Tests.Transport;

/// <summary>The outbox queue: one writer, one reader, lock-free, in fixed chunks.</summary>
[CancelAfter(30_000)]
public class OutboxTests
{
    [TestCase(1)]
    [TestCase(Outbox.ChunkSize)]
    [TestCase(Outbox.ChunkSize + 1)]
    [TestCase(10 * Outbox.ChunkSize + 3)]
    public void EnqueueThenDrain_AcrossChunks_FirstInFirstOut(int count)
    {
        var outbox = new Outbox();
        var lines = Enumerable.Range(0, count).Select(i => new OutgoingLine($"line {i}")).ToList();
        lines.ForEach(outbox.Enqueue);

        var drained = new List<OutgoingLine>();
        while (outbox.TryPeek(out var line))
        {
            outbox.Dequeue();
            drained.Add(line);
        }

        Assert.That(drained, Is.EqualTo(lines));
    }

    [Test]
    public void Interleaved_DrainedAndRefilled_KeepsOrder()
    {
        var outbox = new Outbox();
        var expected = new List<string>();
        var drained = new List<string>();
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < round % 7 * 5; i++)
            {
                var text = $"{round}.{i}";
                expected.Add(text);
                outbox.Enqueue(new OutgoingLine(text));
            }

            for (var i = 0; i < round % 3 * 9 && outbox.TryPeek(out var line); i++)
            {
                outbox.Dequeue();
                drained.Add(line.Text);
            }
        }

        while (outbox.TryPeek(out var line))
        {
            outbox.Dequeue();
            drained.Add(line.Text);
        }

        Assert.That(drained, Is.EqualTo(expected));
    }

    [Test]
    public void OneWriterOneReaderOnTwoThreads_ReaderSeesEveryLineInOrder()
    {
        const int count = 200_000;
        var outbox = new Outbox();
        var lines = Enumerable.Range(0, 1000).Select(i => new OutgoingLine($"{i}")).ToArray();
        var writer = new Thread(() =>
        {
            for (var i = 0; i < count; i++)
            {
                outbox.Enqueue(lines[i % lines.Length]);
            }
        });
        var mismatches = 0;
        var read = 0;
        var reader = new Thread(() =>
        {
            while (read < count)
            {
                if (outbox.TryPeek(out var line))
                {
                    if (!ReferenceEquals(line, lines[read % lines.Length]))
                    {
                        mismatches++;
                    }

                    outbox.Dequeue();
                    read++;
                }
            }
        });
        writer.Start();
        reader.Start();

        Assert.Multiple(() =>
        {
            Assert.That(writer.Join(TimeSpan.FromSeconds(20)) && reader.Join(TimeSpan.FromSeconds(20)), Is.True);
            Assert.That(read, Is.EqualTo(count));
            Assert.That(mismatches, Is.Zero);
        });
    }
}
