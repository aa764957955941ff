using NUnit.Framework;
using RxChat.Rooms;

namespace RxChat.Tests.Rooms;

/// <summary>
/// <see cref="AppendQueue"/> alone, as tables: the bound on chat lines (entries and characters), batches one at a
/// time, the failed batch sent again first and only when due, heartbeats of a quiet node. Adds are written
/// <c>L3</c> (a chat line of 3 characters: bounded), <c>A3</c> (an arrival, departure or heartbeat: not bounded),
/// <c>S3</c> (the node's last event); times are seconds after <see cref="T0"/>.
/// </summary>
public class AppendQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0 + TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    // Each add's result: its sequence number, or "-" when refused.
    private static string Add(AppendQueue queue, string adds)
    {
        var results = new List<string>();
        foreach (var add in adds.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var payload = new string('x', int.Parse(add[1..], System.Globalization.CultureInfo.InvariantCulture));
            var seq = queue.Add(payload, bounded: add[0] == 'L', last: add[0] == 'S');
            results.Add(seq?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
        }

        return string.Join(" ", results);
    }

    private static string Seqs(Outgoing[]? batch) => batch is null ? "null" : string.Join(",", batch.Select(b => b.NodeSeq));

    private static string State(AppendQueue q) =>
        $"count {q.Count}, next {q.NextNodeSeq}, {(q.IsFull ? "full" : "room")}, {(q.InFlight is null ? "idle" : "sending " + Seqs(q.InFlight))}, "
        + $"{(q.Failing ? $"retry at {(q.RetryAt == DateTimeOffset.MinValue ? "once" : (q.RetryAt!.Value - T0).TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))}" : "ok")}"
        + $"{(q.RetryAt is not null && !q.Failing ? " (retry time without a retry)" : "")}{(q.Closed ? ", closed" : "")}";

    [Test]
    public void New_NothingWaits()
    {
        var q = new AppendQueue(3, 100, 2);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 0, next 1, room, idle, ok"));
            Assert.That(q.MaxEntries, Is.EqualTo(3));
            Assert.That(q.MaxChars, Is.EqualTo(100));
            Assert.That(q.Fill, Is.Zero);
            Assert.That(q.RetryAt, Is.Null);
            Assert.That(q.LastSent, Is.EqualTo(DateTimeOffset.MinValue));
            Assert.That(q.Next(T0), Is.Null);
        });
    }

    [TestCase(3, 100, "L1 L1 L1 L1", "1 2 3 -", TestName = "Add_LinesUpToMaxEntries_ThenRefused")]
    [TestCase(3, 100, "L1 L1 L1 A1 S1 L1", "1 2 3 4 5 -", TestName = "Add_ArrivalsAndTheLastEvent_TakenPastTheBound")]
    [TestCase(3, 100, "A1 A1 A1 L1", "1 2 3 -", TestName = "Add_EventsNotBounded_CountTowardsTheBound")]
    [TestCase(10, 5, "L4 L1 L1", "1 2 -", TestName = "Add_LinesUpToMaxChars_ThenRefused")]
    [TestCase(10, 5, "L4 L3 L1", "1 2 -", TestName = "Add_ALineBelowMaxChars_IsTakenEvenPastIt")]
    [TestCase(10, 5, "L5 L1", "1 -", TestName = "Add_ExactlyMaxChars_IsFull")]
    [TestCase(10, 5, "A9 L1 A1", "1 - 2", TestName = "Add_ArrivalsCharacters_CountTowardsTheBound")]
    [TestCase(10, 5, "L0 L0 L0", "1 2 3", TestName = "Add_EmptyLines_CountOnlyAsEntries")]
    [TestCase(10, 100, "L1 S1 L1 A1 S1", "1 2 - - -", TestName = "Add_AfterTheLastEvent_NothingIsTaken")]
    [TestCase(1, 1, "L1 S1", "1 2", TestName = "Add_TheLastEventWhenFull_IsTaken")]
    public void Add_Table(int maxEntries, long maxChars, string adds, string expected)
    {
        Assert.That(Add(new AppendQueue(maxEntries, maxChars, 10), adds), Is.EqualTo(expected));
    }

    [TestCase(4, 100, "", 0.0, "room", TestName = "Fill_Empty_Zero")]
    [TestCase(4, 100, "L1 L1", 0.5, "room", TestName = "Fill_HalfTheEntries_Half")]
    [TestCase(4, 100, "L50", 0.5, "room", TestName = "Fill_HalfTheCharacters_TheLarger")]
    [TestCase(4, 100, "L10 L10 L10", 0.75, "room", TestName = "Fill_EntriesAheadOfCharacters_TheLarger")]
    [TestCase(10, 8, "L2", 0.25, "room", TestName = "Fill_CharactersAheadOfEntries_TheLarger")]
    [TestCase(4, 100, "L1 L1 L1 L1", 1.0, "full", TestName = "Fill_AllTheEntries_One")]
    [TestCase(2, 100, "L1 L1 A1", 1.5, "full", TestName = "Fill_PastTheBound_MoreThanOne")]
    public void Fill_Table(int maxEntries, long maxChars, string adds, double fill, string full)
    {
        var q = new AppendQueue(maxEntries, maxChars, 10);
        Add(q, adds);

        Assert.Multiple(() =>
        {
            Assert.That(q.Fill, Is.EqualTo(fill));
            Assert.That(q.IsFull ? "full" : "room", Is.EqualTo(full));
        });
    }

    [Test]
    public void Add_NumbersRiseByOne_AndCount()
    {
        var q = new AppendQueue(10, 100, 10);

        Add(q, "L1 A2 L3");

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 3, next 4, room, idle, ok"));
            Assert.That(q.Next(T0)!.Select(o => (o.NodeSeq, o.Payload.Length, o.Last)), Is.EqualTo(new[] { (1L, 1, false), (2L, 2, false), (3L, 3, false) }));
        });
    }

    [Test]
    public void Add_TheLastEvent_ClosesTheQueue()
    {
        var q = new AppendQueue(10, 100, 10);

        Add(q, "L1 S2");
        var batch = q.Next(T0);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 2, next 3, room, sending 1,2, ok, closed"));
            Assert.That(batch!.Select(o => o.Last), Is.EqualTo(new[] { false, true }));
        });
    }

    // Batches of `batchSize` from `adds` events, each done before the next: "1,2|3" for two batches.
    [TestCase(3, 5, "1,2,3|4,5", TestName = "Next_MoreThanABatch_InBatchesInOrder")]
    [TestCase(3, 3, "1,2,3", TestName = "Next_ExactlyABatch_One")]
    [TestCase(3, 1, "1", TestName = "Next_LessThanABatch_WhatWaits")]
    [TestCase(1, 3, "1|2|3", TestName = "Next_BatchesOfOne_OneByOne")]
    [TestCase(3, 0, "", TestName = "Next_NothingWaits_Nothing")]
    public void Next_Table(int batchSize, int adds, string expected)
    {
        var q = new AppendQueue(100, 1000, batchSize);
        Add(q, string.Join(" ", Enumerable.Repeat("A1", adds)));

        var batches = new List<string>();
        while (q.Next(T0) is { } batch)
        {
            batches.Add(Seqs(batch));
            Assert.That(q.Next(T0), Is.Null, "one batch at a time");
            Assert.That(q.Done(batch), Is.True);
        }

        Assert.Multiple(() =>
        {
            Assert.That(string.Join("|", batches), Is.EqualTo(expected));
            Assert.That(State(q), Is.EqualTo($"count 0, next {adds + 1}, room, idle, ok"));
        });
    }

    [Test]
    public void Next_ABatchUnderWay_CountsUntilDone()
    {
        var q = new AppendQueue(3, 10, 2);
        Add(q, "L2 L2 L2");

        var batch = q.Next(At(1));

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 3, next 4, full, sending 1,2, ok"));
            Assert.That(q.InFlight, Is.SameAs(batch));
            Assert.That(q.LastSent, Is.EqualTo(At(1)));
            Assert.That(q.Fill, Is.EqualTo(1.0));
        });

        Assert.That(q.Done(batch!), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 1, next 4, room, idle, ok"));
            Assert.That(q.Fill, Is.EqualTo(1 / 3.0));
            Assert.That(Add(q, "L8 L1"), Is.EqualTo("4 -"));
            Assert.That(q.Fill, Is.EqualTo(1.0));
        });
    }

    [Test]
    public void Done_NotTheBatchUnderWay_FalseAndNothingChanges()
    {
        var q = new AppendQueue(10, 100, 1);
        Add(q, "L1 L1 L1");
        Assert.That(q.Done([new Outgoing(1, "x", false)]), Is.False, "nothing under way");

        var first = q.Next(At(1))!;
        Assert.That(q.Done(first.ToArray()), Is.False, "an equal batch is not the one under way");
        Assert.That(q.Done(first), Is.True);
        var second = q.Next(At(2))!;

        Assert.Multiple(() =>
        {
            Assert.That(q.Done(first), Is.False, "a late answer for a batch done");
            Assert.That(q.Failed(first, At(9)), Is.False, "a late failure of a batch done");
            Assert.That(State(q), Is.EqualTo("count 2, next 4, room, sending 2, ok"));
            Assert.That(q.InFlight, Is.SameAs(second));
        });
    }

    [Test]
    public void Failed_NotTheBatchUnderWay_FalseAndNothingChanges()
    {
        var q = new AppendQueue(10, 100, 1);
        Add(q, "L1 L1");
        Assert.That(q.Failed([new Outgoing(1, "x", false)], At(5)), Is.False, "nothing under way");
        var batch = q.Next(At(1))!;

        Assert.Multiple(() =>
        {
            Assert.That(q.Failed(batch.ToArray(), At(5)), Is.False);
            Assert.That(State(q), Is.EqualTo("count 2, next 3, room, sending 1, ok"));
            Assert.That(q.RetryAt, Is.Null);
        });
    }

    [Test]
    public void Failed_TheBatchUnderWay_WaitsToGoAgainAsItWas()
    {
        var q = new AppendQueue(3, 100, 2);
        Add(q, "L1 L1");
        var batch = q.Next(At(1))!;

        Assert.That(q.Failed(batch, At(5)), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 2, next 3, room, idle, retry at 5"));
            Assert.That(q.Fill, Is.EqualTo(2 / 3.0), "still waiting");
            Assert.That(Add(q, "L1 L1"), Is.EqualTo("3 -"), "still counted towards the bound");
            Assert.That(q.LastSent, Is.EqualTo(At(1)));
        });
    }

    // The batch failed at 1 s, to go again from 5 s; asked again at `now`.
    [TestCase(4.9999999, false, TestName = "Next_ARetryNotDue_Nothing")]
    [TestCase(5, true, TestName = "Next_ARetryJustDue_TheSameBatch")]
    [TestCase(60, true, TestName = "Next_ARetryLongDue_TheSameBatch")]
    public void Next_Retry_Table(double now, bool sent)
    {
        var q = new AppendQueue(10, 100, 2);
        Add(q, "L1 L1");
        var batch = q.Next(At(1))!;
        q.Failed(batch, At(5));

        var again = q.Next(At(now));

        Assert.Multiple(() =>
        {
            Assert.That(again, sent ? Is.SameAs(batch) : Is.Null);
            Assert.That(q.LastSent, Is.EqualTo(At(sent ? now : 1)));
            Assert.That(State(q), Is.EqualTo(sent ? "count 2, next 3, room, sending 1,2, retry at 5" : "count 2, next 3, room, idle, retry at 5"));
        });
    }

    [Test]
    public void Next_ARetry_GoesBeforeWhatCameAfter()
    {
        var q = new AppendQueue(10, 100, 2);
        Add(q, "L1 L1");
        var batch = q.Next(At(1))!;
        q.Failed(batch, At(5));
        Add(q, "L1");

        var retry = q.Next(At(5))!;
        Assert.That(q.Next(At(6)), Is.Null, "one batch at a time");
        Assert.That(q.Done(retry), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(Seqs(retry), Is.EqualTo("1,2"));
            Assert.That(State(q), Is.EqualTo("count 1, next 4, room, idle, ok"));
            Assert.That(q.RetryAt, Is.Null);
            Assert.That(Seqs(q.Next(At(6))), Is.EqualTo("3"));
        });
    }

    [Test]
    public void Failed_ARetryFailingAgain_WaitsAgain()
    {
        var q = new AppendQueue(10, 100, 2);
        Add(q, "L1 L1 L1");
        var batch = q.Next(At(1))!;
        q.Failed(batch, At(5));
        var retry = q.Next(At(5))!;

        Assert.That(q.Failed(retry, At(9)), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 3, next 4, room, idle, retry at 9"));
            Assert.That(q.Next(At(8)), Is.Null);
            Assert.That(q.Next(At(9)), Is.SameAs(batch));
        });
    }

    [Test]
    public void RetryNow_AFailedBatch_GoesAtOnce()
    {
        var q = new AppendQueue(10, 100, 2);
        Add(q, "L1");
        var batch = q.Next(At(1))!;
        q.Failed(batch, At(100));

        q.RetryNow();

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 1, next 2, room, idle, retry at once"));
            Assert.That(q.Next(At(2)), Is.SameAs(batch));
        });
    }

    [Test]
    public void RetryNow_NothingFailed_ChangesNothing()
    {
        var q = new AppendQueue(10, 100, 2);
        Add(q, "L1");

        q.RetryNow();

        Assert.Multiple(() =>
        {
            Assert.That(q.RetryAt, Is.Null);
            Assert.That(State(q), Is.EqualTo("count 1, next 2, room, idle, ok"));
        });
    }

    // A heartbeat of 2 s: due half a heartbeat (1 s) after the last batch, when nothing waits or is under way.
    [TestCase("sent", 0.9999999, false, TestName = "HeartbeatDue_JustUnderHalfAHeartbeat_No")]
    [TestCase("sent", 1, true, TestName = "HeartbeatDue_HalfAHeartbeat_Yes")]
    [TestCase("sent", 5, true, TestName = "HeartbeatDue_LongQuiet_Yes")]
    [TestCase("never", 0, true, TestName = "HeartbeatDue_NothingEverSent_Yes")]
    [TestCase("waiting", 5, false, TestName = "HeartbeatDue_AnEventWaits_No")]
    [TestCase("sending", 5, false, TestName = "HeartbeatDue_ABatchUnderWay_No")]
    [TestCase("failing", 5, false, TestName = "HeartbeatDue_ABatchToSendAgain_No")]
    [TestCase("closed", 5, false, TestName = "HeartbeatDue_AfterTheLastEvent_No")]
    public void HeartbeatDue_Table(string state, double now, bool due)
    {
        var q = new AppendQueue(10, 100, 10);
        if (state != "never")
        {
            Add(q, state == "closed" ? "S1" : "A1");
            var batch = q.Next(T0)!;
            switch (state)
            {
                case "failing":
                    q.Failed(batch, At(100));
                    break;
                case "sending":
                    break;
                default:
                    q.Done(batch);
                    break;
            }

            if (state == "waiting")
            {
                Add(q, "A1");
            }
        }

        Assert.That(q.HeartbeatDue(At(now), TimeSpan.FromSeconds(2)), Is.EqualTo(due));
    }

    [Test]
    public void Reset_StartsOverUnderNewNumbers()
    {
        var q = new AppendQueue(3, 5, 1);
        Add(q, "L1 L4 S1");
        var batch = q.Next(At(1))!;
        q.Failed(batch, At(5));
        Assert.That(State(q), Is.EqualTo("count 3, next 4, full, idle, retry at 5, closed"));

        q.Reset(50);

        Assert.Multiple(() =>
        {
            Assert.That(State(q), Is.EqualTo("count 0, next 50, room, idle, ok"));
            Assert.That(q.RetryAt, Is.Null);
            Assert.That(q.Fill, Is.Zero);
            Assert.That(q.Next(At(9)), Is.Null, "nothing waits, nothing to send again");
            Assert.That(Add(q, "L4"), Is.EqualTo("50"));
            Assert.That(q.Fill, Is.EqualTo(0.8));
        });
    }

    [Test]
    public void Reset_ABatchUnderWay_IsNoLongerIt()
    {
        var q = new AppendQueue(3, 100, 1);
        Add(q, "L1");
        var batch = q.Next(At(1))!;

        q.Reset(7);

        Assert.Multiple(() =>
        {
            Assert.That(q.InFlight, Is.Null);
            Assert.That(q.Done(batch), Is.False);
            Assert.That(State(q), Is.EqualTo("count 0, next 7, room, idle, ok"));
        });
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Reset_NotPositive_Throws(long first)
    {
        var q = new AppendQueue(3, 100, 1);

        Assert.That(() => q.Reset(first), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
