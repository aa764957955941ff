using NUnit.Framework;
using RxChat.Rooms;

namespace RxChat.Tests.Rooms;

/// <summary>
/// <see cref="Sequencer"/> alone, as tables: where a node is in the room's log, when it reads, what a read brings, and
/// this node's own batches folded without a read when they are next. Other nodes' entries are node 9's; this node is
/// node 7, whose batch from entry <c>s</c> has node sequence numbers from <c>100 + s</c> and the time <c>s</c>.
/// </summary>
public class SequencerTests
{
    private const long Me = 7;
    private const long Other = 9;

    // An entry of another node's, as the log has it.
    private static StoredEntry Entry(long seq, long node = Other) => new(seq, new EntryId(node, seq, 1000 + seq), $"e{seq}");

    // This node's batch of `count` entries from `start`, as the store appended it.
    private static void Appended(Sequencer s, long start, int count) =>
        s.Appended(start, Me, 100 + start, start, [.. Enumerable.Range(0, count).Select(i => $"m{start + i}")]);

    // A read's reply: the log's newest entry, and the entries it brought.
    private static ReadReply Reply(long newest, params long[] seqs) => new(StoreStatus.Done, newest, [.. seqs.Select(s => Entry(s))]);

    // Folds entries the way the log does, one at a time (OwnNext is lazy: each is folded before the next is asked for).
    private static string Fold(Sequencer s, IEnumerable<StoredEntry> entries)
    {
        var folded = new List<string>();
        foreach (var entry in entries.Take(100))
        {
            s.Applied(entry);
            folded.Add($"{entry.Seq}:{entry.Id.Node}.{entry.Id.NodeSeq}@{entry.Id.Millis}={entry.Payload}");
        }

        return folded.Count == 0 ? "-" : string.Join(" ", folded);
    }

    // Folds entries first..last as read from the log.
    private static void FoldRead(Sequencer s, long first, long last) =>
        Fold(s, Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => Entry(i)));

    private static string State(Sequencer s) =>
        $"expected {s.Expected}, known {s.Known}, guard {s.Guard.Seq}, lag {s.Lag}, {(s.Reading ? "reading" : "idle")}, {(s.ShouldRead ? "read" : "no read")}";

    private static string Outcome(ReadOutcome outcome) =>
        $"{outcome.Status} {(outcome.Entries.Count == 0 ? "-" : string.Join(",", outcome.Entries.Select(e => e.Seq)))}";

    [Test]
    public void New_ANewRoom_FoldsEntryOneAndKnowsNothing()
    {
        Assert.That(State(new Sequencer()), Is.EqualTo("expected 1, known 0, guard 0, lag 0, idle, no read"));
        Assert.That(new Sequencer().Guard, Is.EqualTo(Guard.None));
    }

    [TestCase("", "expected 1, known 0, guard 0, lag 0, idle, no read", TestName = "Hint_None_NoRead")]
    [TestCase("0", "expected 1, known 0, guard 0, lag 0, idle, no read", TestName = "Hint_NothingNew_NoRead")]
    [TestCase("1", "expected 1, known 1, guard 0, lag 1, idle, read", TestName = "Hint_TheNextEntry_Reads")]
    [TestCase("5", "expected 1, known 5, guard 0, lag 5, idle, read", TestName = "Hint_SeveralEntries_LagIsTheirCount")]
    [TestCase("5 3", "expected 1, known 5, guard 0, lag 5, idle, read", TestName = "Hint_AnOlderClaim_KnownNeverGoesBack")]
    [TestCase("3 5", "expected 1, known 5, guard 0, lag 5, idle, read", TestName = "Hint_ANewerClaim_IsKnown")]
    public void Hint_Table(string hints, string expected)
    {
        var s = new Sequencer();
        foreach (var hint in hints.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            s.Hint(long.Parse(hint, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.That(State(s), Is.EqualTo(expected));
    }

    [TestCase(1, 0, "expected 1, known 0, guard 0, lag 0, idle, no read", TestName = "Reset_ANewRoom_KnowsNothing")]
    [TestCase(11, 5, "expected 11, known 10, guard 0, lag 0, idle, no read", TestName = "Reset_FromASnapshot_KnowsAtLeastTheEntriesBehindIt")]
    [TestCase(11, 10, "expected 11, known 10, guard 0, lag 0, idle, no read", TestName = "Reset_NewestIsTheSnapshot_NothingToRead")]
    [TestCase(11, 11, "expected 11, known 11, guard 0, lag 1, idle, read", TestName = "Reset_OneEntryPastTheSnapshot_ReadsIt")]
    [TestCase(11, 20, "expected 11, known 20, guard 0, lag 10, idle, read", TestName = "Reset_ManyPastTheSnapshot_LagIsTheirCount")]
    public void Reset_Table(long expected, long known, string state)
    {
        var s = new Sequencer();
        s.Reset(expected, known);

        Assert.That(State(s), Is.EqualTo(state));
    }

    [Test]
    public void Reset_MidRead_ForgetsTheGuardTheReadAndOwnBatches()
    {
        var s = new Sequencer();
        Appended(s, 1, 2);
        Appended(s, 3, 1);
        Assert.That(s.Guard.Seq, Is.EqualTo(3));
        s.Hint(9);
        s.BeginRead();

        s.Reset(1, 0);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 1, known 0, guard 0, lag 0, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(Guard.None));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("-"));
        });
    }

    [Test]
    public void Applied_TheNextEntry_IsFoldedKnownAndTheGuard()
    {
        var s = new Sequencer();

        s.Applied(Entry(1));

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 2, known 1, guard 1, lag 0, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(new Guard(1, new EntryId(Other, 1, 1001))));
        });
    }

    [TestCase(0)]
    [TestCase(2)]
    [TestCase(5)]
    public void Applied_NotTheNextEntry_ThrowsAndChangesNothing(long seq)
    {
        var s = new Sequencer();
        s.Reset(5, 4);
        if (seq == 5)
        {
            s.Applied(Entry(5));
        }

        var before = State(s);

        Assert.Multiple(() =>
        {
            Assert.That(() => s.Applied(Entry(seq)), Throws.InvalidOperationException.With.Message.EqualTo($"entry {seq} folded where {s.Expected} was next"));
            Assert.That(State(s), Is.EqualTo(before));
        });
    }

    [Test]
    public void Applied_OlderThanTheGuard_KeepsTheGuard()
    {
        // This node's batch landed as entries 4..5 before it folded entries 1..3 of others'.
        var s = new Sequencer();
        Appended(s, 4, 2);
        var guard = s.Guard;

        FoldRead(s, 1, 3);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 4, known 5, guard 5, lag 2, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(guard));
        });
    }

    [Test]
    public void Applied_TheEntryTheGuardNames_TakesItAsTheLogHasIt()
    {
        // The newest content known is the entry as folded, when nothing newer is known.
        var s = new Sequencer();
        Appended(s, 1, 1);
        var folded = new StoredEntry(1, new EntryId(Me, 101, 42), "m1");

        s.Applied(folded);

        Assert.That(s.Guard, Is.EqualTo(new Guard(1, folded.Id)));
    }

    [Test]
    public void Appended_TheNextEntries_AreFoldedWithoutARead()
    {
        var s = new Sequencer();

        Appended(s, 1, 3);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 1, known 3, guard 3, lag 3, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(new Guard(3, new EntryId(Me, 103, 1))));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("1:7.101@1=m1 2:7.102@1=m2 3:7.103@1=m3"));
            Assert.That(State(s), Is.EqualTo("expected 4, known 3, guard 3, lag 0, idle, no read"));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("-"), "each entry once");
        });
    }

    [Test]
    public void Appended_BehindOthersEntries_WaitsForTheReadOfThem()
    {
        var s = new Sequencer();

        Appended(s, 4, 2);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 1, known 5, guard 5, lag 5, idle, read"));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("-"));
        });

        FoldRead(s, 1, 3);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 4, known 5, guard 5, lag 2, idle, no read"));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("4:7.104@4=m4 5:7.105@4=m5"));
        });
    }

    [Test]
    public void Appended_BatchesInARow_AreFoldedInOrder()
    {
        var s = new Sequencer();
        Appended(s, 1, 1);
        Appended(s, 2, 2);

        Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("1:7.101@1=m1 2:7.102@2=m2 3:7.103@2=m3"));
    }

    [Test]
    public void Appended_AlreadyFoldedFromARead_IsNotFoldedAgain()
    {
        var s = new Sequencer();
        FoldRead(s, 1, 3);
        var guard = s.Guard;

        Appended(s, 2, 2);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 4, known 3, guard 3, lag 0, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(guard), "what was folded stays the newest content known");
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("-"));
        });
    }

    [Test]
    public void Appended_PartlyFoldedFromARead_FoldsTheRestWithoutARead()
    {
        // The read folded entries 1..2 of this node's batch 1..3 before the store's answer came.
        var s = new Sequencer();
        FoldRead(s, 1, 2);

        Appended(s, 1, 3);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 3, known 3, guard 3, lag 1, idle, no read"));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("3:7.103@1=m3"));
            Assert.That(State(s), Is.EqualTo("expected 4, known 3, guard 3, lag 0, idle, no read"));
        });
    }

    [Test]
    public void Appended_AfterABatchFoldedFromARead_IsNextWithoutARead()
    {
        // Batch 1..2 was read before its answer was looked at; batch 3 is then next.
        var s = new Sequencer();
        Appended(s, 1, 2);
        FoldRead(s, 1, 2);

        Appended(s, 3, 1);

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 3, known 3, guard 3, lag 1, idle, no read"));
            Assert.That(Fold(s, s.OwnNext()), Is.EqualTo("3:7.103@3=m3"));
        });
    }

    [TestCase("", "no read", TestName = "ShouldRead_NothingKnown_No")]
    [TestCase("h1", "read", TestName = "ShouldRead_AnEntryOfOthers_Yes")]
    [TestCase("h1 b", "no read", TestName = "ShouldRead_AReadUnderWay_No")]
    [TestCase("h1 b e", "read", TestName = "ShouldRead_TheReadAnsweredWithoutIt_Again")]
    [TestCase("a1", "no read", TestName = "ShouldRead_OwnBatchNext_No")]
    [TestCase("a2", "read", TestName = "ShouldRead_OwnBatchBehindAnEntryOfOthers_Yes")]
    [TestCase("h3 a1", "no read", TestName = "ShouldRead_OwnBatchNextThenOthers_OwnFirst")]
    [TestCase("a1 a2", "no read", TestName = "ShouldRead_OwnBatchesInARowNext_No")]
    [TestCase("a2 a3", "read", TestName = "ShouldRead_OwnBatchesInARowBehindAnEntryOfOthers_Yes")]
    [TestCase("a1 r a2", "no read", TestName = "ShouldRead_OwnBatchNextBehindOneFoldedFromARead_No")]
    [TestCase("a1 r h2", "read", TestName = "ShouldRead_OwnBatchFoldedFromAReadThenOthers_Yes")]
    [TestCase("a1 f", "no read", TestName = "ShouldRead_OwnBatchFolded_No")]
    [TestCase("a1 h2 f", "read", TestName = "ShouldRead_OwnBatchFoldedThenOthers_Yes")]
    public void ShouldRead_Table(string script, string expected)
    {
        var s = new Sequencer();
        foreach (var step in script.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var n = step.Length > 1 ? long.Parse(step[1..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            switch (step[0])
            {
                case 'h':
                    s.Hint(n);
                    break;
                case 'a':
                    Appended(s, n, 1);
                    break;
                case 'b':
                    s.BeginRead();
                    break;
                case 'e':
                    s.EndRead(1, 100, Guard.None, Reply(s.Known));
                    break;
                case 'f':
                    Fold(s, s.OwnNext());
                    break;
                case 'r':
                    FoldRead(s, s.Expected, s.Expected);
                    break;
            }
        }

        Assert.That(State(s).Split(", ")[^1], Is.EqualTo(expected));
    }

    [Test]
    public void BeginRead_FromTheNextEntry_IsUnderWay()
    {
        var s = new Sequencer();
        FoldRead(s, 1, 4);
        s.Hint(6);

        var from = s.BeginRead();

        Assert.Multiple(() =>
        {
            Assert.That(from, Is.EqualTo(5));
            Assert.That(State(s), Is.EqualTo("expected 5, known 6, guard 4, lag 2, reading, no read"));
        });
    }

    // A read from entry 5 of up to `count` entries; `folded` entries of this node's were folded while it was under way
    // (Expected then 5 + folded); the reply: the log's newest, and the entries it brought.
    [TestCase(3, 0, 9, "5 6 7", "Done 5,6,7", 9, TestName = "EndRead_ThePageAsked_IsFolded")]
    [TestCase(3, 0, 4, "", "Done -", 4, TestName = "EndRead_NothingNew_NothingToFold")]
    [TestCase(3, 0, 5, "", "Trimmed -", 5, TestName = "EndRead_TheNextIsTheNewestAndMissing_Trimmed")]
    [TestCase(3, 0, 9, "", "Trimmed -", 9, TestName = "EndRead_TheNextInTheRangeAndMissing_Trimmed")]
    [TestCase(100, 0, 7, "", "Trimmed -", 7, TestName = "EndRead_ALargePageBeyondTheNewest_Trimmed")]
    [TestCase(3, 0, 9, "6 7", "Trimmed -", 9, TestName = "EndRead_TheNextMissingBeforeLaterOnes_Trimmed")]
    [TestCase(3, 0, 9, "5 7", "Done 5", 9, TestName = "EndRead_AGapAfterTheNext_FoldsUpToIt")]
    [TestCase(3, 2, 9, "5 6 7", "Done 7", 9, TestName = "EndRead_EntriesFoldedMeanwhile_AreSkipped")]
    [TestCase(3, 3, 9, "5 6 7", "Done -", 9, TestName = "EndRead_AllFoldedMeanwhile_NothingToFold")]
    [TestCase(3, 2, 9, "5 6", "Trimmed -", 9, TestName = "EndRead_TheNextNowAtTheEndOfTheRangeAndMissing_Trimmed")]
    [TestCase(2, 2, 9, "5 6", "Done -", 9, TestName = "EndRead_TheNextNowPastTheRange_NotTrimmed")]
    [TestCase(3, 2, 6, "5 6", "Done -", 6, TestName = "EndRead_TheNextNowPastTheNewest_NotTrimmed")]
    public void EndRead_Table(int count, int folded, long newest, string brought, string expected, long known)
    {
        var s = new Sequencer();
        s.Reset(5, 4);
        var from = s.BeginRead();
        if (folded > 0)
        {
            Appended(s, 5, folded);
            Fold(s, s.OwnNext());
        }

        var seqs = brought.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => long.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var outcome = s.EndRead(from, count, Guard.None, Reply(newest, seqs));

        Assert.Multiple(() =>
        {
            Assert.That(Outcome(outcome), Is.EqualTo(expected));
            Assert.That(s.Known, Is.EqualTo(known));
            Assert.That(s.Reading, Is.False);
        });
    }

    [Test]
    public void ReadDropped_MidRead_TheNextReadStartsWhereTheNodeIs_KnowingAllItKnew()
    {
        // The node was counted gone as the read was under way and keeps the room under a new number: the read's answer
        // is ignored, and what the room has is read again.
        var s = new Sequencer();
        FoldRead(s, 1, 4);
        s.Hint(6);
        s.BeginRead();
        s.Hint(9);

        s.ReadDropped();

        Assert.Multiple(() =>
        {
            Assert.That(State(s), Is.EqualTo("expected 5, known 9, guard 4, lag 5, idle, read"));
            Assert.That(s.BeginRead(), Is.EqualTo(5));
        });
    }

    [Test]
    public void EndRead_TheEntriesReturned_AreTheLogs()
    {
        var s = new Sequencer();
        s.BeginRead();
        var reply = Reply(2, 1, 2);

        var outcome = s.EndRead(1, 10, Guard.None, reply);

        Assert.That(outcome.Entries, Is.EqualTo(reply.Entries));
    }

    [TestCase("Gone")]
    [TestCase("Lost")]
    [TestCase("Trimmed")]
    [TestCase("Retired")]
    [TestCase("Duplicate")]
    public void EndRead_NotDone_GivesTheStatusAndChangesNothingElse(string name)
    {
        var status = Enum.Parse<StoreStatus>(name);
        var s = new Sequencer();
        s.Hint(9);
        s.BeginRead();

        var outcome = s.EndRead(1, 10, Guard.None, new ReadReply(status, 3, [Entry(1), Entry(2), Entry(3)]));

        Assert.Multiple(() =>
        {
            Assert.That(Outcome(outcome), Is.EqualTo($"{status} -"));
            Assert.That(State(s), Is.EqualTo("expected 1, known 9, guard 0, lag 9, idle, read"));
        });
    }

    // The read was asked with the guard of entry 6 (this node had folded 1..6).
    [TestCase(5, "Lost -", TestName = "EndRead_TheLogsNewestOlderThanTheGuard_Lost")]
    [TestCase(6, "Done -", TestName = "EndRead_TheLogsNewestIsTheGuard_NothingNew")]
    [TestCase(7, "Done 7", TestName = "EndRead_TheLogsNewestPastTheGuard_Folded")]
    public void EndRead_Guard_Table(long newest, string expected)
    {
        var s = new Sequencer();
        Appended(s, 1, 6);
        Fold(s, s.OwnNext());
        var guard = s.Guard;
        var from = s.BeginRead();

        var outcome = s.EndRead(from, 10, guard, newest >= 7 ? Reply(newest, 7) : Reply(newest));

        Assert.Multiple(() =>
        {
            Assert.That(Outcome(outcome), Is.EqualTo(expected));
            Assert.That(s.Reading, Is.False);
        });
    }

    [Test]
    public void EndRead_Lost_KnowsNoLess()
    {
        var s = new Sequencer();
        Appended(s, 1, 6);
        Fold(s, s.OwnNext());
        var guard = s.Guard;
        s.Hint(8);
        var from = s.BeginRead();

        s.EndRead(from, 10, guard, Reply(2));

        Assert.That(State(s), Is.EqualTo("expected 7, known 8, guard 6, lag 2, idle, read"));
    }

    [Test]
    public void EndRead_AnsweredAfterTheNodeLearnedMore_IsCheckedAgainstTheGuardItWasAskedWith()
    {
        // Asked knowing nothing; meanwhile this node's batch landed as entries 1..3 and was folded; the read ran
        // before it, on an empty log: that is no loss, and entries 1..3 stay known.
        var s = new Sequencer();
        var asked = s.Guard;
        var from = s.BeginRead();
        Appended(s, 1, 3);
        Fold(s, s.OwnNext());

        var outcome = s.EndRead(from, 10, asked, Reply(0));

        Assert.Multiple(() =>
        {
            Assert.That(Outcome(outcome), Is.EqualTo("Done -"));
            Assert.That(State(s), Is.EqualTo("expected 4, known 3, guard 3, lag 0, idle, no read"));
        });
    }

    [Test]
    public void EndRead_AnAppendAnsweredDuringTheRead_KeepsItsEntriesKnown()
    {
        // Entries 4..5 are this node's, not folded yet (1..3 are others'); the read saw the log before them.
        var s = new Sequencer();
        var from = s.BeginRead();
        Appended(s, 4, 2);

        var outcome = s.EndRead(from, 10, Guard.None, Reply(3, 1, 2, 3));

        Assert.Multiple(() =>
        {
            Assert.That(Outcome(outcome), Is.EqualTo("Done 1,2,3"));
            Assert.That(State(s), Is.EqualTo("expected 1, known 5, guard 5, lag 5, idle, read"));
        });
    }

    [TestCase(9, false, 6, TestName = "EndRead_AClaimBeforeTheReadBeyondTheNewest_IsForgotten")]
    [TestCase(9, true, 9, TestName = "EndRead_AClaimDuringTheRead_StaysKnown")]
    [TestCase(4, true, 6, TestName = "EndRead_AnOlderClaimDuringTheRead_TheNewestIsKnown")]
    public void EndRead_Claims_Table(long claim, bool duringRead, long known)
    {
        var s = new Sequencer();
        if (!duringRead)
        {
            s.Hint(claim);
        }

        var from = s.BeginRead();
        if (duringRead)
        {
            s.Hint(claim);
        }

        var outcome = s.EndRead(from, 10, Guard.None, Reply(6, 1, 2, 3, 4, 5, 6));
        Fold(s, outcome.Entries);

        Assert.Multiple(() =>
        {
            Assert.That(s.Known, Is.EqualTo(known));
            Assert.That(s.ShouldRead, Is.EqualTo(known > 6));
            Assert.That(s.Lag, Is.EqualTo(known - 6));
        });
    }

    [Test]
    public void EndRead_AClaimDuringAnEarlierRead_DoesNotCarryOver()
    {
        var s = new Sequencer();
        s.EndRead(s.BeginRead(), 10, Guard.None, Reply(0));
        s.BeginRead();
        s.Hint(9);
        s.EndRead(1, 10, Guard.None, Reply(0));
        Assert.That(s.Known, Is.EqualTo(9));

        s.EndRead(s.BeginRead(), 10, Guard.None, Reply(0));

        Assert.That(State(s), Is.EqualTo("expected 1, known 0, guard 0, lag 0, idle, no read"));
    }

    [Test]
    public void EndRead_FromARoomLeftMeanwhile_FoldsNothingAndIsNotTrimmed()
    {
        // A read from entry 5 answered after the node started over in a new room at entry 1.
        var s = new Sequencer();
        s.Reset(5, 4);
        var from = s.BeginRead();
        s.Reset(1, 0);

        var outcome = s.EndRead(from, 10, Guard.None, Reply(9, 5, 6, 7, 8, 9));

        Assert.That(Outcome(outcome), Is.EqualTo("Done -"));
    }

    [Test]
    public void EndRead_ThenApplied_MovesOnPageByPage()
    {
        var s = new Sequencer();
        s.Hint(5);

        var first = s.EndRead(s.BeginRead(), 3, Guard.None, Reply(5, 1, 2, 3));
        Fold(s, first.Entries);
        Assert.That(State(s), Is.EqualTo("expected 4, known 5, guard 3, lag 2, idle, read"));

        var from = s.BeginRead();
        var second = s.EndRead(from, 3, s.Guard, Reply(5, 4, 5));
        Fold(s, second.Entries);

        Assert.Multiple(() =>
        {
            Assert.That(from, Is.EqualTo(4));
            Assert.That(Outcome(second), Is.EqualTo("Done 4,5"));
            Assert.That(State(s), Is.EqualTo("expected 6, known 5, guard 5, lag 0, idle, no read"));
            Assert.That(s.Guard, Is.EqualTo(new Guard(5, new EntryId(Other, 5, 1005))));
        });
    }
}
