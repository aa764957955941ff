using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>The outbox bound of PROTOCOL.md, Limits and bad input, slow clients, without a transport.</summary>
public class OutboxBoundTests
{
    private static readonly OutgoingLine Line = new("alice: hi");
    private static readonly OutgoingLine Closing = new("Server shutting down", isClosing: true);

    [Test]
    public void Admit_UnderCapacity_AdmitsWithoutNotice()
    {
        var bound = new OutboxBound(2, SlowClientPolicy.Drop);

        Assert.Multiple(() =>
        {
            Assert.That(bound.Admit(Line, out var first), Is.EqualTo(Admission.Admitted));
            Assert.That(bound.Admit(Line, out var second), Is.EqualTo(Admission.Admitted));
            Assert.That(first, Is.Null);
            Assert.That(second, Is.Null);
            Assert.That(bound.Waiting, Is.EqualTo(2));
        });
    }

    [Test]
    public void Admit_Full_DropsAndCountsUntilALineFits_ThenThatLineGetsTheNotice()
    {
        var bound = new OutboxBound(2, SlowClientPolicy.Drop);
        bound.Admit(Line, out _);
        bound.Admit(Line, out _);

        var dropped = Enumerable.Range(0, 3).Select(i => bound.Admit(Line, out var n)).ToList();
        var droppedCount = bound.Dropped;
        bound.Left(1);
        var fits = bound.Admit(Line, out var notice);

        Assert.Multiple(() =>
        {
            Assert.That(dropped, Is.All.EqualTo(Admission.Dropped));
            Assert.That(droppedCount, Is.EqualTo(3));
            Assert.That(fits, Is.EqualTo(Admission.Admitted));
            Assert.That(notice?.Text, Is.EqualTo("(3 messages dropped)"));
            Assert.That(bound.Dropped, Is.Zero);
        });
    }

    [Test]
    public void Notice_TakesNoSlot()
    {
        var bound = new OutboxBound(1, SlowClientPolicy.Drop);
        bound.Admit(Line, out _);
        bound.Admit(Line, out _);
        bound.Left(1);
        bound.Admit(Line, out var notice);

        Assert.Multiple(() =>
        {
            Assert.That(notice, Is.Not.Null);
            Assert.That(notice!.TakesSlot, Is.False);
            Assert.That(bound.Waiting, Is.EqualTo(1), "the line, not the notice");
        });
    }

    [Test]
    public void ClosingLine_Full_IsNeverDroppedAndTakesNoSlot()
    {
        var bound = new OutboxBound(1, SlowClientPolicy.Drop);
        bound.Admit(Line, out _);

        Assert.Multiple(() =>
        {
            Assert.That(bound.Admit(Closing, out _), Is.EqualTo(Admission.Admitted));
            Assert.That(bound.Waiting, Is.EqualTo(1));
        });
    }

    [Test]
    public void Admit_FullUnderDisconnectPolicy_Overflows()
    {
        var bound = new OutboxBound(1, SlowClientPolicy.Disconnect);
        bound.Admit(Line, out _);

        Assert.Multiple(() =>
        {
            Assert.That(bound.Admit(Line, out var notice), Is.EqualTo(Admission.Overflowed));
            Assert.That(notice, Is.Null);
            Assert.That(bound.Admit(Closing, out _), Is.EqualTo(Admission.Admitted), "the closing line still goes");
        });
    }

    [Test]
    public void Admit_CapacityZero_IsUnbounded()
    {
        var bound = new OutboxBound(0, SlowClientPolicy.Drop);

        Assert.That(Enumerable.Range(0, 10_000).Select(i => bound.Admit(Line, out var n)), Is.All.EqualTo(Admission.Admitted));
    }
}
