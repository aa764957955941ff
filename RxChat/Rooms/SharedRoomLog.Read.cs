using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>Reading the room's log and folding it: entries in order, this node's own paired with what it sent.</summary>
internal sealed partial class SharedRoomLog
{
    // A publication: a hint that the room has new entries. One that claims another epoch is not believed either way:
    // a read (which the store answers for the room this node belongs to) tells.
    private void OnPublication(Publication publication)
    {
        if (_phase is not (Phase.CatchingUp or Phase.Live))
        {
            return;
        }

        _sequencer.Hint(publication.Epoch == _epoch ? publication.Last : _sequencer.Expected);
        Pump();
    }

    private void Read()
    {
        if (_epoch is not { } epoch)
        {
            return;
        }

        var from = _sequencer.BeginRead();
        var request = new ReadRequest(epoch, from, PageSize, _sequencer.Guard, NewEpoch());
        Run(_store.Read(request), reply => OnRead(request, reply), _ =>
        {
            // The store is away: the next tick, or its return, reads again.
            _sequencer.EndRead(from, PageSize, request.Guard, new ReadReply(StoreStatus.Done, request.Guard.Seq, []));
            _sequencer.Hint(from);
        });
    }

    private void OnRead(ReadRequest request, ReadReply reply)
    {
        var outcome = _sequencer.EndRead(request.From, request.Count, request.Guard, reply);
        switch (outcome.Status)
        {
            case StoreStatus.Gone:
                LoseRoom("the room is gone from the store (Redis lost it, or it was replaced)");
                return;
            case StoreStatus.Lost:
                LoseRoom($"the room's log lost entries this node had: {reply.Why ?? $"its newest entry is {reply.Newest}, this node knew entry {request.Guard.Seq}"}");
                return;
            case StoreStatus.Trimmed when _phase == Phase.CatchingUp:
                // The snapshot this node joined from was replaced, and the log trimmed behind the new one: join again.
                RoomLog.JoinTrimmed(_logger, _where, _sequencer.Expected);
                _phase = Phase.Joining;
                DropPending();
                RetryJoin();
                return;
            case StoreStatus.Trimmed:
                // Entries this node needs are gone from the log: it fell too far behind the room to catch up.
                CutOff();
                return;
        }

        var generation = _generation;
        foreach (var entry in outcome.Entries)
        {
            Fold(entry);
            if (_fencedNow)
            {
                Fenced();
            }

            if (generation != _generation)
            {
                // The room was lost, or this node rejoined, as it folded: the rest of the page is not for it.
                return;
            }
        }

        Pump();
        CaughtUp();
    }

    // This node's own batches, from the store's answers, while they are next: no read needed.
    private void FoldOwn()
    {
        var generation = _generation;
        foreach (var entry in _sequencer.OwnNext())
        {
            Fold(entry);
            if (_fencedNow)
            {
                Fenced();
            }

            if (generation != _generation)
            {
                return;
            }
        }

        CaughtUp();
    }

    // The next entry of the room: this node's own as it sent it (then its local events that waited behind it), or
    // another node's as the log has it. An entry that cannot be read is skipped, alike on every node.
    private void Fold(StoredEntry entry)
    {
        _sequencer.Applied(entry);
        _lastTime = entry.Time;
        if (entry.Malformed is { } why)
        {
            RoomLog.Unreadable(_logger, entry.Seq, entry.Id.Node, why);
            return;
        }

        if (entry.Id.Node == _node && _node != 0)
        {
            FoldOwn(entry);
            return;
        }

        ChatEvent e;
        try
        {
            e = RoomCodec.ReadEvent(entry.Payload, entry.Id.Node);
        }
        catch (FormatException error)
        {
            RoomLog.Unreadable(_logger, entry.Seq, entry.Id.Node, error.Message);
            return;
        }

        Emit(new RoomEntry(entry.Seq, entry.Time, e, Local: false, entry.Id.Node));
    }

    private void FoldOwn(StoredEntry entry)
    {
        if (_pairing.Match(entry.Id.NodeSeq) is not var (sent, after))
        {
            // Under this node's number, but not what it sent next: the log is not what this node wrote.
            LoseRoom($"entry {entry.Seq} under this node's number is not what it sent");
            return;
        }

        var room = new RoomEntry(entry.Seq, entry.Time, sent, Local: false, _node);
        if (sent is ClientWired wired && _refused.Remove(wired.Id.Value))
        {
            // A newcomer turned away while its arrival was on its way: it is in the room without an inbox here, and
            // leaves at once, unheard of (it never had a name).
            Emit(room with { Event = new ClientConnected(wired.Id, wired.Arrival.RemoteAddress) });
            Append(new ClientLeft(wired.Id, DisconnectReason.RoomUnavailable), bounded: false);
        }
        else
        {
            Emit(room);
            if (sent is ClientWired entered)
            {
                // In the room: what it sent meanwhile follows its arrival.
                foreach (var held in _lobby.Entered(entered.Id))
                {
                    Submit(new Admitted(held, Local: false));
                }

                Volatile.Write(ref _waiting, _lobby.Count);
            }
        }

        foreach (var local in after)
        {
            EmitLocal(local);
        }
    }
}
