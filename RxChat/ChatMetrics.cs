using System.Diagnostics.Metrics;
using RxChat.Core;

namespace RxChat;

/// <summary>
/// The server's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/>
/// (read them with <c>dotnet-counters monitor -n RxChat --counters RxChat</c>):
/// <list type="table">
/// <item><term><c>rxchat.connections</c></term><description>open connections, named or not (up-down counter)</description></item>
/// <item><term><c>rxchat.clients</c></term><description>connected clients, that is, named connections (up-down counter)</description></item>
/// <item><term><c>rxchat.connections.accepted</c></term><description>connections accepted (counter)</description></item>
/// <item><term><c>rxchat.lines.received</c></term><description>complete lines read from clients (counter)</description></item>
/// <item><term><c>rxchat.lines.delivered</c></term><description>lines written to clients' sockets (counter)</description></item>
/// <item><term><c>rxchat.lines.dropped</c></term><description>lines dropped for slow clients (counter)</description></item>
/// <item><term><c>rxchat.disconnects</c></term><description>connections ended, tagged <c>reason</c> (a <see cref="DisconnectReason"/>, counter)</description></item>
/// <item><term><c>rxchat.tls.handshakes.failed</c></term><description>TLS handshakes that failed, tagged <c>reason</c>: <c>timeout</c>, <c>error</c> or <c>busy</c> (counter)</description></item>
/// <item><term><c>rxchat.room.entries.appended</c></term><description>entries this node appended to the room's log in Redis (counter; a room on several nodes only)</description></item>
/// <item><term><c>rxchat.room.lag</c></term><description>room entries known to exist that this node has not folded yet (gauge)</description></item>
/// <item><term><c>rxchat.room.nodes</c></term><description>live nodes in the room, this one included (gauge)</description></item>
/// <item><term><c>rxchat.room.backlog</c></term><description>this node's events waiting for Redis (gauge)</description></item>
/// <item><term><c>rxchat.room.lobby</c></term><description>newcomers waiting for this node to serve the room (gauge)</description></item>
/// <item><term><c>rxchat.room.failovers</c></term><description>failovers of Redis this node followed to a new primary (counter)</description></item>
/// <item><term><c>rxchat.room.lost</c></term><description>times this node lost the room: its connections were closed and a new room began (counter)</description></item>
/// </list>
/// </summary>
public sealed class ChatMetrics : IDisposable
{
    /// <summary>The meter's name: <c>RxChat</c>.</summary>
    public const string MeterName = "RxChat";

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _clients;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _disconnects;

    /// <summary>Creates the instruments on a new meter from <paramref name="meterFactory"/>, or on a meter of its own.</summary>
    /// <param name="meterFactory">The host's meter factory; null for a standalone meter.</param>
    public ChatMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("rxchat.connections", "{connection}", "Open connections, named or not");
        _clients = _meter.CreateUpDownCounter<long>("rxchat.clients", "{client}", "Connected clients (named connections)");
        _accepted = _meter.CreateCounter<long>("rxchat.connections.accepted", "{connection}", "Connections accepted");
        LinesReceived = _meter.CreateCounter<long>("rxchat.lines.received", "{line}", "Complete lines read from clients");
        LinesDelivered = _meter.CreateCounter<long>("rxchat.lines.delivered", "{line}", "Lines written to clients");
        LinesDropped = _meter.CreateCounter<long>("rxchat.lines.dropped", "{line}", "Lines dropped for slow clients");
        _disconnects = _meter.CreateCounter<long>("rxchat.disconnects", "{connection}", "Connections ended, by reason");
        HandshakesFailed = _meter.CreateCounter<long>("rxchat.tls.handshakes.failed", "{handshake}", "TLS handshakes that failed, by reason");
        RoomEntriesAppended = _meter.CreateCounter<long>("rxchat.room.entries.appended", "{entry}", "Entries this node appended to the room's log");
        RoomsLost = _meter.CreateCounter<long>("rxchat.room.lost", "{room}", "Times this node lost the room");
        FailoversFollowed = _meter.CreateCounter<long>("rxchat.room.failovers", "{failover}", "Failovers of Redis this node followed to a new primary");
    }

    /// <summary>The meter the instruments are on.</summary>
    public Meter Meter => _meter;

    internal Counter<long> LinesReceived { get; }

    internal Counter<long> LinesDelivered { get; }

    internal Counter<long> LinesDropped { get; }

    internal Counter<long> HandshakesFailed { get; }

    internal Counter<long> RoomEntriesAppended { get; }

    internal Counter<long> RoomsLost { get; }

    internal Counter<long> FailoversFollowed { get; }

    /// <summary>
    /// Records a zero on each instrument that has no tags, so that an exporter lists it from the start (OpenTelemetry's
    /// Prometheus exporter lists an instrument only once it has a measurement, and a dashboard or a "metric absent"
    /// alert needs the series before the first connection). Called once the server listens.
    /// </summary>
    internal void Started()
    {
        _connections.Add(0);
        _clients.Add(0);
        _accepted.Add(0);
        LinesReceived.Add(0);
        LinesDelivered.Add(0);
        LinesDropped.Add(0);
    }

    /// <summary>Publishes the room's lag, its live nodes, this node's backlog and lobby, read when the meter is collected.</summary>
    internal void WatchRoom(Func<long> lag, Func<int> nodes, Func<int> backlog, Func<int> lobby)
    {
        _meter.CreateObservableGauge("rxchat.room.lag", lag, "{entry}", "Room entries known to exist and not yet folded here");
        _meter.CreateObservableGauge("rxchat.room.nodes", nodes, "{node}", "Live nodes in the room");
        _meter.CreateObservableGauge("rxchat.room.backlog", backlog, "{event}", "This node's events waiting for Redis");
        _meter.CreateObservableGauge("rxchat.room.lobby", lobby, "{connection}", "Newcomers waiting for this node to serve the room");
    }

    /// <summary>Counts what a <see cref="ServerEvent"/> says: connections, clients and disconnects.</summary>
    /// <param name="e">An event of the chat.</param>
    public void Record(ServerEvent e)
    {
        switch (e)
        {
            case ConnectionOpened:
                _accepted.Add(1);
                _connections.Add(1);
                break;
            case ClientEntered:
                _clients.Add(1);
                break;
            case ConnectionClosed closed:
                _connections.Add(-1);
                _clients.Add(closed.Name is null ? 0 : -1);
                _disconnects.Add(1, new KeyValuePair<string, object?>("reason", closed.Reason.ToString()));
                break;
        }
    }

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
