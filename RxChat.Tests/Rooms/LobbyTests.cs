using NUnit.Framework;
using RxChat.Core;
using RxChat.Rooms;

namespace RxChat.Tests.Rooms;

/// <summary>
/// <see cref="Lobby"/> alone, as tables: newcomers waiting while the node cannot serve, entering, what they send
/// meanwhile held for after their arrival, turned away at their deadline. A script is steps on connections
/// <c>#1</c>, <c>#2</c>...: <c>w1@5</c> connection 1 waits with a deadline at 5 s, <c>e1@5</c> it enters at once,
/// <c>a</c> admits the waiting, <c>u</c> unadmits, <c>h1:x</c> holds its line <c>x</c>, <c>q1</c> holds its
/// departure, <c>n1</c> says it entered the room, <c>x5</c> turns away whom 5 s finds past the deadline, <c>c</c>
/// clears. Each step's result: <c>-</c>, <c>[1 2]</c> (arrivals; <c>1+</c> had its arrival on its way),
/// <c>held</c>/<c>no</c>/<c>left:1</c> (a hold, and the newcomer whose departure ended its wait), <c>[x left]</c>
/// (what an entered newcomer sent).
/// </summary>
public class LobbyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0 + TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static ConnectionId Id(long value, long node = 1) => new(value) { Node = node };

    private static ClientWired Wired(long value, long node = 1) => new(new ClientArrived(Id(value, node), "192.0.2.1:5000", null!), null!);

    private static string Describe(ChatEvent e) => e switch
    {
        LineReceived line => line.Line.Text,
        ClientLeft => "left",
        _ => e.GetType().Name,
    };

    private static string List(IEnumerable<string> items) => $"[{string.Join(" ", items)}]";

    private static string Arrivals(IEnumerable<(ClientWired Arrival, bool Submitted)> newcomers) =>
        List(newcomers.Select(n => $"{n.Arrival.Id.Value}{(n.Submitted ? "+" : "")}"));

    private static (string Results, int Count) Play(string script, int maxHeld = 64)
    {
        var lobby = new Lobby(maxHeld);
        var results = new List<string>();
        foreach (var step in script.Split(' '))
        {
            var rest = step[1..];
            switch (step[0])
            {
                case 'w' or 'e':
                    var at = rest.Split('@');
                    var (wired, deadline) = (Wired(long.Parse(at[0], System.Globalization.CultureInfo.InvariantCulture)), At(double.Parse(at[1], System.Globalization.CultureInfo.InvariantCulture)));
                    if (step[0] == 'w')
                    {
                        lobby.Wait(wired, deadline);
                    }
                    else
                    {
                        lobby.Entering(wired, deadline);
                    }

                    results.Add("-");
                    break;
                case 'a':
                    results.Add(List(lobby.Admit().Select(w => w.Id.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                    break;
                case 'u':
                    lobby.Unadmit();
                    results.Add("-");
                    break;
                case 'h' or 'q':
                    var parts = rest.Split(':');
                    var id = Id(long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
                    ChatEvent e = step[0] == 'h' ? new LineReceived(id, new ReceivedLine(parts[1])) : new ClientLeft(id, DisconnectReason.Quit);
                    var held = lobby.Hold(e, out var left);
                    results.Add(!held ? (left is null ? "no" : "no?") : left is null ? "held" : $"left:{left.Id.Value}");
                    break;
                case 'n':
                    results.Add(List(lobby.Entered(Id(long.Parse(rest, System.Globalization.CultureInfo.InvariantCulture))).Select(Describe)));
                    break;
                case 'x':
                    results.Add(Arrivals(lobby.Expired(At(double.Parse(rest, System.Globalization.CultureInfo.InvariantCulture)))));
                    break;
                case 'c':
                    results.Add(Arrivals(lobby.Clear()));
                    break;
            }
        }

        return (string.Join(" ", results), lobby.Count);
    }

    [TestCase("w1@5 w2@5 e3@5 w4@5 a", "- - - - [1 2 4]", 4, TestName = "Admit_TheWaiting_InOrderOfArrival")]
    [TestCase("w1@5 a a", "- [1] []", 1, TestName = "Admit_Twice_OnlyOnce")]
    [TestCase("e1@5 a", "- []", 1, TestName = "Admit_OneEntering_IsNotAdmittedAgain")]
    [TestCase("w1@5 e2@5 u a", "- - - [1 2]", 2, TestName = "Unadmit_TheEntering_AreAdmittedAgain")]
    [TestCase("w1@5 a u a", "- [1] - [1]", 1, TestName = "Unadmit_TheAdmitted_AreAdmittedAgain")]
    [TestCase("w1@5 w2@5 w3@5 q2 a", "- - - left:2 [1 3]", 2, TestName = "Hold_ADepartureWhileWaiting_EndsTheWait")]
    [TestCase("w1@5 h1:x q1 n1", "- held left:1 []", 0, TestName = "Hold_ADepartureWhileWaiting_DropsWhatWasHeld")]
    [TestCase("e1@5 q1 n1", "- held [left]", 0, TestName = "Hold_ADepartureWhileEntering_FollowsTheArrival")]
    [TestCase("w1@5 a q1 n1", "- [1] held [left]", 0, TestName = "Hold_ADepartureOnceAdmitted_FollowsTheArrival")]
    [TestCase("w1@5 a u q1", "- [1] - left:1", 0, TestName = "Hold_ADepartureOnceUnadmitted_EndsTheWait")]
    [TestCase("e1@5 h1:x h1:y q1 n1", "- held held held [x y left]", 0, TestName = "Entered_WhatWasSentMeanwhile_InOrder")]
    [TestCase("w1@5 h2:x q2", "- no no", 1, TestName = "Hold_NotANewcomers_NotHeld")]
    [TestCase("e1@5 e2@5 h1:x h2:y n2 h2:z n1", "- - held held [y] no [x]", 0, TestName = "Entered_EachItsOwn_ThenNoLongerANewcomer")]
    [TestCase("e1@5 n1 n1", "- [] []", 0, TestName = "Entered_Twice_NothingTheSecondTime")]
    [TestCase("n1", "[]", 0, TestName = "Entered_NotANewcomer_Nothing")]
    [TestCase("e1@5 w2@5 n1 u a", "- - [] - [2]", 1, TestName = "Entered_IsOutOfTheOrder")]
    [TestCase("w1@5 e2@10 w3@10 w4@15 x9.9999999", "- - - - [1]", 3, TestName = "Expired_JustBeforeTheDeadline_NotYet")]
    [TestCase("w1@5 e2@10 w3@10 w4@15 x10", "- - - - [1 2+ 3]", 1, TestName = "Expired_AtTheDeadline_TurnedAwayInOrder")]
    [TestCase("w1@5 x4 x5 x6", "- [] [1] []", 0, TestName = "Expired_Once")]
    [TestCase("w4@15 w1@5 x10 a", "- - [1] [4]", 1, TestName = "Expired_OutOfTheOrder")]
    [TestCase("e1@5 u x5", "- - [1]", 0, TestName = "Unadmit_TheDeadlineStays")]
    [TestCase("w1@5 e2@5 a c", "- - [1] [1+ 2+]", 0, TestName = "Clear_EveryNewcomerInOrder")]
    [TestCase("w1@5 e2@5 c a h1:x n2 x9", "- - [1 2+] [] no [] []", 0, TestName = "Clear_NobodyIsLeft")]
    public void Play_Table(string script, string expected, int count)
    {
        var (results, left) = Play(script);

        Assert.Multiple(() =>
        {
            Assert.That(results, Is.EqualTo(expected));
            Assert.That(left, Is.EqualTo(count));
        });
    }

    [TestCase("e1@5 h1:a h1:b h1:c n1", "- held held held [a b]", TestName = "Hold_PastMaxHeld_LaterLinesDropped")]
    [TestCase("e1@5 h1:a h1:b n1", "- held held [a b]", TestName = "Hold_ExactlyMaxHeld_AllKept")]
    [TestCase("e1@5 h1:a h1:b h1:c q1 n1", "- held held held held [a b left]", TestName = "Hold_PastMaxHeld_TheDepartureKept")]
    [TestCase("w1@5 h1:a h1:b h1:c q1 a", "- held held held left:1 []", TestName = "Hold_PastMaxHeldWhileWaiting_TheDepartureEndsTheWait")]
    public void Hold_MaxHeld_Table(string script, string expected)
    {
        Assert.That(Play(script, maxHeld: 2).Results, Is.EqualTo(expected));
    }

    [Test]
    public void Hold_ByDefault_SixtyFourEvents()
    {
        var lobby = new Lobby();
        lobby.Entering(Wired(1), At(5));
        for (var i = 0; i < 70; i++)
        {
            Assert.That(lobby.Hold(new LineReceived(Id(1), new ReceivedLine($"{i}")), out _), Is.True);
        }

        Assert.That(lobby.Entered(Id(1)).Select(Describe), Is.EqualTo(Enumerable.Range(0, 64).Select(i => $"{i}")));
    }

    [Test]
    public void Contains_ANewcomer_ByItsConnectionNumberUnderAnyNodeNumber()
    {
        // The node part of an id changes with the node's number: a newcomer stays one under the new number.
        var lobby = new Lobby();
        lobby.Wait(Wired(5, node: 1), At(5));

        Assert.Multiple(() =>
        {
            Assert.That(lobby.Contains(Id(5, node: 1)), Is.True);
            Assert.That(lobby.Contains(Id(5, node: 2)), Is.True);
            Assert.That(lobby.Contains(Id(6, node: 1)), Is.False);
            Assert.That(lobby.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void HoldAndEntered_UnderANewNodeNumber_TheSameNewcomer()
    {
        var lobby = new Lobby();
        var arrival = Wired(5, node: 1);
        lobby.Entering(arrival, At(5));
        var line = new LineReceived(Id(5, node: 2), new ReceivedLine("x"));

        Assert.Multiple(() =>
        {
            Assert.That(lobby.Hold(line, out var left), Is.True);
            Assert.That(left, Is.Null);
            Assert.That(lobby.Entered(Id(5, node: 3)), Is.EqualTo(new ChatEvent[] { line }));
            Assert.That(lobby.Contains(Id(5, node: 1)), Is.False);
        });
    }

    [Test]
    public void Hold_ADepartureWhileWaiting_GivesTheArrival()
    {
        var lobby = new Lobby();
        var arrival = Wired(5);
        lobby.Wait(arrival, At(5));

        var held = lobby.Hold(new ClientLeft(Id(5, node: 2), DisconnectReason.Reset), out var left);

        Assert.Multiple(() =>
        {
            Assert.That(held, Is.True);
            Assert.That(left, Is.SameAs(arrival));
            Assert.That(lobby.Contains(Id(5)), Is.False);
            Assert.That(lobby.Count, Is.Zero);
        });
    }

    [Test]
    public void AdmitExpiredAndClear_GiveTheArrivalsAsWired()
    {
        var lobby = new Lobby();
        var (one, two, three) = (Wired(1), Wired(2), Wired(3));
        lobby.Wait(one, At(5));
        lobby.Wait(two, At(10));
        lobby.Wait(three, At(10));

        var admitted = lobby.Admit();
        var expired = lobby.Expired(At(5));
        var cleared = lobby.Clear();

        Assert.Multiple(() =>
        {
            Assert.That(admitted, Is.EqualTo(new[] { one, two, three }));
            Assert.That(expired.Select(e => e.Arrival), Is.EqualTo(new[] { one }));
            Assert.That(cleared.Select(e => e.Arrival), Is.EqualTo(new[] { two, three }));
        });
    }
}
