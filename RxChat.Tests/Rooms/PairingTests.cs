using NUnit.Framework;
using RxChat.Core;
using RxChat.Rooms;

namespace RxChat.Tests.Rooms;

/// <summary>
/// <see cref="Pairing"/> alone, as tables: this node's room events waiting for their entries, in the order sent, and
/// its local events behind them. A script is steps: <c>o3:a</c> sends room event <c>a</c> under node sequence number
/// 3, <c>l:b</c> places local event <c>b</c>, <c>m3</c> says entry 3 of this node's is next, <c>d</c> drops all.
/// Each step's result: <c>-</c> (none), <c>now</c>/<c>kept</c> (a local event placed at once or kept),
/// <c>a&gt;b,c</c> (the event matched, then the local events after it), <c>null</c> (no match), <c>[1:a 0:b]</c> (what
/// a drop returned).
/// </summary>
public class PairingTests
{
    private static LineReceived Event(string label) => new(new ConnectionId(1), new ReceivedLine(label));

    private static string Label(ChatEvent e) => ((LineReceived)e).Line.Text;

    private static (string Results, int Count) Play(string script)
    {
        var pairing = new Pairing();
        var results = new List<string>();
        foreach (var step in script.Split(' '))
        {
            switch (step[0])
            {
                case 'o':
                    var parts = step[1..].Split(':');
                    pairing.Own(long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), Event(parts[1]));
                    results.Add("-");
                    break;
                case 'l':
                    results.Add(pairing.Local(Event(step[2..])) ? "now" : "kept");
                    break;
                case 'm':
                    results.Add(pairing.Match(long.Parse(step[1..], System.Globalization.CultureInfo.InvariantCulture)) is var (e, after)
                        ? $"{Label(e)}>{string.Join(",", after.Select(Label))}"
                        : "null");
                    break;
                case 'd':
                    results.Add($"[{string.Join(" ", pairing.Drop().Select(p => $"{p.NodeSeq}:{Label(p.Event)}"))}]");
                    break;
            }
        }

        return (string.Join(" ", results), pairing.Count);
    }

    [TestCase("l:a", "now", 0, TestName = "Local_NothingOnItsWay_PlacedAtOnce")]
    [TestCase("o1:a l:b", "- kept", 2, TestName = "Local_BehindARoomEvent_Kept")]
    [TestCase("o1:a l:b l:c", "- kept kept", 3, TestName = "Local_SeveralBehindARoomEvent_AllKept")]
    [TestCase("o1:a m1 l:b", "- a> now", 0, TestName = "Local_AfterTheRoomEventCameBack_PlacedAtOnce")]
    [TestCase("o1:a l:b m1 l:c", "- kept a>b now", 0, TestName = "Match_TheNext_GivesTheEventAndTheLocalsBehindIt")]
    [TestCase("o1:a l:b l:c m1", "- kept kept a>b,c", 0, TestName = "Match_LocalsInARow_InOrder")]
    [TestCase("o1:a o2:b l:c m1 m2", "- - kept a> b>c", 0, TestName = "Match_LocalsBehindALaterEvent_WaitForIt")]
    [TestCase("o1:a l:b o2:c l:d m1 m2", "- kept - kept a>b c>d", 0, TestName = "Match_EachEventWithItsLocals")]
    [TestCase("o1:a l:b o2:c m1", "- kept - a>b", 1, TestName = "Match_TheNextRoomEventStaysWaiting")]
    [TestCase("m1", "null", 0, TestName = "Match_NothingSent_Null")]
    [TestCase("o1:a m2", "- null", 1, TestName = "Match_NotTheNextSent_NullAndNothingTaken")]
    [TestCase("o1:a o2:b m2 m1 m2", "- - null a> b>", 0, TestName = "Match_ALaterOneFirst_NullThenInOrder")]
    [TestCase("o5:a m5 m5", "- a> null", 0, TestName = "Match_Twice_OnlyOnce")]
    [TestCase("o1:a l:b m0", "- kept null", 2, TestName = "Match_ZeroIsNoRoomEvent")]
    [TestCase("d", "[]", 0, TestName = "Drop_Nothing_Empty")]
    [TestCase("o1:a l:b o2:c l:d d", "- kept - kept [1:a 0:b 2:c 0:d]", 0, TestName = "Drop_EverythingInOrder_RoomEventsWithTheirNumbers")]
    [TestCase("o1:a l:b o2:c m1 d", "- kept - a>b [2:c]", 0, TestName = "Drop_AfterAMatch_WhatStillWaits")]
    [TestCase("o1:a l:b d l:c m1", "- kept [1:a 0:b] now null", 0, TestName = "Drop_NothingWaitsAfter")]
    public void Play_Table(string script, string expected, int count)
    {
        var (results, left) = Play(script);

        Assert.Multiple(() =>
        {
            Assert.That(results, Is.EqualTo(expected));
            Assert.That(left, Is.EqualTo(count));
        });
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Own_NotPositive_ThrowsAndWaitsForNothing(long nodeSeq)
    {
        var pairing = new Pairing();

        Assert.Multiple(() =>
        {
            Assert.That(() => pairing.Own(nodeSeq, Event("a")), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(pairing.Count, Is.Zero);
            Assert.That(pairing.Local(Event("b")), Is.True);
        });
    }

    [Test]
    public void Match_GivesTheObjectsSent()
    {
        var pairing = new Pairing();
        var sent = Event("a");
        var local = Event("b");
        pairing.Own(1, sent);
        pairing.Local(local);

        var (e, after) = pairing.Match(1)!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(e, Is.SameAs(sent));
            Assert.That(after, Has.Count.EqualTo(1));
            Assert.That(after[0], Is.SameAs(local));
        });
    }
}
