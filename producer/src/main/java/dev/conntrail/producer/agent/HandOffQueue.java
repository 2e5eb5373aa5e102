package dev.conntrail.producer.agent;

import dev.conntrail.avro.TcpEvent;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bounded hand-off from the event source's thread (the tracer's ring-buffer reader) to the agent's
 * publishing thread. Offering never blocks the reader: a full queue is counted loss (design rule 6,
 * loss). While a snapshot is taken the queue is also the hold buffer of design rule 1 (snapshots hold
 * events).
 */
final class HandOffQueue {
    private final BlockingQueue<TcpEvent> queue;
    private final LossTracker loss;

    HandOffQueue(int capacity, LossTracker loss) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.loss = loss;
    }

    void offer(TcpEvent event) {
        if (!queue.offer(event)) {
            loss.lost(LossCause.QUEUE_FULL, 1, "hand-off queue full (" + (queue.size() + queue.remainingCapacity()) + " events)");
        }
    }

    TcpEvent poll(long timeoutMillis) throws InterruptedException {
        return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    TcpEvent poll() {
        return queue.poll();
    }

    int size() {
        return queue.size();
    }
}
