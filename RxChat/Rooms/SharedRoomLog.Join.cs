using System.Reactive.Concurrency;
using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>Joining the room and leaving it: a place in it, a new number after being counted gone, a new room.</summary>
internal sealed partial class SharedRoomLog
{
    private void OnConnected()
    {
        _connected = true;
        Join();
    }

    // Asks the store for a place in the room (creating it if there is none): a node number, the room's settings, its
    // snapshot. A number of this node's from before is retired first, so that the room hears at once that its
    // clients are gone.
    private void Join()
    {
        _generation++;
        _node = 0;
        if (_phase != Phase.Rejoining)
        {
            _phase = Phase.Joining;
        }

        if (_retire != 0 && _epoch is { } epoch)
        {
            var old = _retire;
            Run(
                _store.Retire(new RetireRequest(epoch, old)),
                _ =>
                {
                    _retire = 0;
                    Join();
                },
                _ => RetryJoin());
            return;
        }

        _incarnation = 1 + _random.NextInt64(1L << 40);
        var request = new JoinRequest(NewEpoch(), RoomSettings.From(_options), _incarnation);
        Run(_store.Join(request), OnJoined, error =>
        {
            RoomLog.JoinFailed(_logger, _where, error.Message);
            RetryJoin();
        });
    }

    private void RetryJoin()
    {
        var generation = _generation;
        _time.Schedule(_settings.NodeHeartbeat, () => Post(() =>
        {
            if (generation == _generation)
            {
                Join();
            }
        }));
    }

    private void OnJoined(JoinReply joined)
    {
        var rejoining = _phase == Phase.Rejoining;
        if (rejoining && joined.Epoch != _epoch)
        {
            // The room was replaced meanwhile: a new room.
            _phase = Phase.Joining;
            LoseRoom("the room was replaced while this node rejoined it", join: false);
        }

        _node = joined.Node;
        _queue.Reset(_incarnation);
        if (rejoining && joined.Epoch == _epoch)
        {
            // Counted gone, the room kept: this node goes on folding where it was, under its new number.
            _phase = Phase.Live;
            RoomLog.Joined(_logger, _where, _node, _sequencer.Expected - 1);
            Pump();
            return;
        }

        _epoch = joined.Epoch;
        if (joined.Settings != _settings)
        {
            Tick(joined.Settings.NodeHeartbeat);
        }

        _settings = joined.Settings;
        if (joined.Settings != RoomSettings.From(_options))
        {
            RoomLog.SettingsDiffer(_logger, _where, joined.Settings.NodeTimeout, joined.Settings.HistorySize, _options.NodeTimeout, _options.HistorySize);
        }

        ChatState room;
        try
        {
            room = joined.Snapshot is { } snapshot ? RoomCodec.ReadSnapshot(snapshot, _settings) : ChatState.Empty(_settings);
        }
        catch (FormatException error)
        {
            // A snapshot that cannot be read is no snapshot; the log's beginning may still be there.
            RoomLog.Unreadable(_logger, joined.SnapshotSeq, 0, error.Message);
            room = ChatState.Empty(_settings);
        }

        var start = joined.Snapshot is null ? 0 : joined.SnapshotSeq;
        _sequencer.Reset(start + 1, joined.Newest);
        _catchUpTo = joined.Newest;
        _lastTime = room.Time ?? Now;
        EmitLocal(new RoomLoaded(room with { Seq = start }));
        _phase = Phase.CatchingUp;
        Pump();
        CaughtUp();
    }

    // Caught up with the room as it was when this node joined (what came since is read as for any live node): it
    // serves newcomers from here.
    private void CaughtUp()
    {
        if (_phase != Phase.CatchingUp || _sequencer.Expected <= _catchUpTo)
        {
            return;
        }

        _phase = Phase.Live;
        RoomLog.Joined(_logger, _where, _node, _sequencer.Expected - 1);
        _ready.TrySetResult();
        Pump();
    }

    // The fold counted this node gone: the room ignores what it sent since, and it joins again under a new number,
    // keeping the room. Its newcomers whose arrivals were on their way wait for the new number.
    private void Fenced()
    {
        _fencedNow = false;
        RoomLog.Fenced(_logger, _node);
        DropPending();
        _retire = _node;
        _phase = Phase.Rejoining;
        Join();
    }

    // The room is gone for this node (the store lost it, or replaced it): its connections are told and closed, and it
    // joins the room anew.
    private void LoseRoom(string why, bool join = true)
    {
        RoomLog.Lost(_logger, _where, why);
        _metrics?.RoomsLost.Add(1);
        DropPending();
        EmitLocal(new RoomLost());
        _epoch = null;
        _retire = 0;
        _sequencer.Reset(1, 0);
        _phase = Phase.Joining;
        if (join)
        {
            Join();
        }
    }

    // No word from the store for the node timeout: the room has counted this node gone, so its connections are told
    // and closed now; it joins afresh once the store answers, retiring its old number first.
    private void CutOff()
    {
        RoomLog.ContactLost(_logger, _where, _settings.NodeTimeout);
        DropPending();
        EmitLocal(new ContactLost());
        _retire = _node;
        _phase = Phase.Joining;
        _lastContact = Now;
        Join();
    }

    // Nothing this node sent under its number will come back as its own: its local events are placed now; newcomers
    // whose arrivals were on their way wait in the lobby again; its other room events are gone with the number (the
    // room closed, or will close, the connections they came from). No answer to what was under way is heard any more:
    // a read under way is over too, or a node that keeps the room under a new number would never read again (nor
    // fold the entry that closes its old number's connections).
    private void DropPending()
    {
        _generation++;
        _sequencer.ReadDropped();
        foreach (var (nodeSeq, e) in _pairing.Drop())
        {
            if (nodeSeq == 0)
            {
                EmitLocal(e);
            }
        }

        _lobby.Unadmit();
        _refused.Clear();
        _queue.Reset(1);
        _failing = false;
    }

    private string NewEpoch() => _random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
