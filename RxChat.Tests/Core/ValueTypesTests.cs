using System.Reactive;
using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>The core's small public types and the broadcaster's argument checks (made eagerly, as Rx's own).</summary>
public class ValueTypesTests
{
    [TestCase(3, 0, "#3")]
    [TestCase(3, 2, "#2.3")]
    [TestCase(-1, 0, "#-1")]
    public void ConnectionId_ToString_NamesTheNodeInARoomOfSeveral(long value, long node, string expected)
    {
        Assert.That(new ConnectionId(value) { Node = node }.ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void NodeEvents_AreAboutTheirNode()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new NodeJoined(4).Id, Is.EqualTo(new ConnectionId(0) { Node = 4 }));
            Assert.That(new NodeGone(5, Stopped: true).Id, Is.EqualTo(new ConnectionId(0) { Node = 5 }));
        });
    }

    [Test]
    public void OutgoingLine_RefusesNullAndNewlines_AndIsNotClosingUnlessSaid()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new OutgoingLine(null!), Throws.ArgumentNullException);
            Assert.That(() => new OutgoingLine("two\nlines"), Throws.ArgumentException.With.Message.Contains("newline"));
            Assert.That(new OutgoingLine("one").IsClosing, Is.False);
            Assert.That(new OutgoingLine("one").Text, Is.EqualTo("one"));
        });
    }

    [TestCase("", "error: name is empty")]
    [TestCase("a b", "error: name may contain only letters, digits, '_', '-' and '.' (not U+0020)")]
    [TestCase("a!b", "error: name may contain only letters, digits, '_', '-' and '.' (not '!')")]
    public void ClientNames_Validate_SaysWhy(string name, string error)
    {
        Assert.That(ClientNames.Validate(name), Is.EqualTo(error));
    }

    [Test]
    public void ClientNames_Validate_RefusesNull()
    {
        Assert.That(() => ClientNames.Validate(null!), Throws.ArgumentNullException);
    }

    [Test]
    public void Broadcaster_NullArguments_AreRefusedAtOnce()
    {
        var scheduler = new TestScheduler();
        var options = new ChatServerOptions();
        var broadcaster = new Broadcaster(options, scheduler, scheduler);
        var none = Observable.Never<ClientArrived>();

        Assert.Multiple(() =>
        {
            Assert.That(() => new Broadcaster(null!, scheduler, scheduler), Throws.ArgumentNullException);
            Assert.That(() => new Broadcaster(options, null!, scheduler), Throws.ArgumentNullException);
            Assert.That(() => new Broadcaster(options, scheduler, null!), Throws.ArgumentNullException);
            Assert.That(() => new Broadcaster(options, scheduler, scheduler, null!), Throws.ArgumentNullException);
            Assert.That(() => broadcaster.Run(null!), Throws.ArgumentNullException);
            Assert.That(() => broadcaster.Run(null!, Observable.Never<LineReceived>(), Observable.Never<ClientLeft>()), Throws.ArgumentNullException);
            Assert.That(() => broadcaster.Run(none, null!, Observable.Never<ClientLeft>()), Throws.ArgumentNullException);
            Assert.That(() => broadcaster.Run(none, Observable.Never<LineReceived>(), null!), Throws.ArgumentNullException);
        });
    }

    [Test]
    public void Broadcaster_ShutdownSignalled_EveryConnectionHearsItOnce()
    {
        var scheduler = new TestScheduler();
        var writer = scheduler.CreateObserver<OutgoingLine>();
        var connection = new Support.TestConnection(1, Observable.Never<ReceivedLine>(), writer);
        var shutdown = scheduler.CreateHotObservable(ReactiveTest.OnNext(100, Unit.Default), ReactiveTest.OnNext(200, Unit.Default));

        new Broadcaster(new ChatServerOptions(), scheduler, scheduler).Run(Observable.Return<IChatConnection>(connection), shutdown).Subscribe();
        scheduler.Start();

        Assert.That(connection.Timeline().Select(t => t.Text), Is.EqualTo(new[] { "What is your name?", "Server shutting down", "(closed)" }));
    }
}
