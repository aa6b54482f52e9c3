package dev.dllm.server;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Request batching: the rows (choices) of accepted jobs wait in one first-in-first-out queue; a
 * worker takes the oldest row, waits until up to {@code maxBatch} rows with the same {@link
 * Job.Key} (model, steps, top-p, sampler options, row length) are queued or until the oldest row
 * has waited {@code window}, and samples them in one sampler call ({@link BatchRun}). Rows keep
 * their own random streams, so a row's text does not depend on what it was batched with. A row that
 * waited while the workers were busy starts at once with whatever queued behind it.
 *
 * <p>The queue holds at most {@code capacity} requests; {@link #submit} refuses more (429).
 */
final class Batcher implements AutoCloseable {
  private final int maxBatch;
  private final long windowNanos;
  private final int capacity;
  private final Consumer<List<Job.Row>> run;
  private final ServerMetrics metrics;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final LinkedList<Job.Row> pending = new LinkedList<>();
  private final LinkedList<Long> arrivals = new LinkedList<>();
  private final List<Thread> workers = new ArrayList<>();
  private int queuedJobs;
  private int running;
  private boolean closed;

  /**
   * @param maxBatch most rows in one sampler call, &gt;= 1
   * @param windowMillis how long the oldest row waits for others, &gt;= 0
   * @param capacity most requests waiting, &gt;= 1
   * @param workers sampler calls that may run at once, &gt;= 1
   * @param run samples one batch of rows with equal keys (never throws: it fails the jobs)
   */
  Batcher(
      int maxBatch,
      long windowMillis,
      int capacity,
      int workers,
      Consumer<List<Job.Row>> run,
      ServerMetrics metrics) {
    this.maxBatch = maxBatch;
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
    this.capacity = capacity;
    this.run = run;
    this.metrics = metrics;
    metrics.queueDepth(this::queuedRequests);
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "dllm-batcher-" + i);
      t.setDaemon(true);
      t.start();
      this.workers.add(t);
    }
  }

  /**
   * Queues the rows of {@code job}.
   *
   * @throws ApiException 429 when {@code capacity} requests are already waiting, 503 once closed
   */
  void submit(Job job) {
    lock.lock();
    try {
      if (closed) {
        throw new ApiException(
            503, "server_error", null, "shutting_down", "the server is stopping");
      }
      if (queuedJobs >= capacity) {
        throw new ApiException(
            429,
            "rate_limit_error",
            null,
            "queue_full",
            "the queue is full (" + capacity + " requests waiting); retry later");
      }
      queuedJobs++;
      long now = System.nanoTime();
      for (Job.Row r : job.rows) {
        pending.add(r);
        arrivals.add(now);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Requests with rows still waiting. */
  int queuedRequests() {
    lock.lock();
    try {
      return queuedJobs;
    } finally {
      lock.unlock();
    }
  }

  private void work() {
    while (true) {
      List<Job.Row> batch;
      lock.lock();
      try {
        batch = next();
        if (batch == null) {
          return;
        }
        running++;
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      try {
        metrics.batch(batch.size());
        run.accept(batch);
      } finally {
        lock.lock();
        try {
          running--;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** The next batch (lock held), or null once closed and empty. */
  private List<Job.Row> next() throws InterruptedException {
    while (true) {
      dropCancelled();
      if (pending.isEmpty()) {
        if (closed) {
          return null;
        }
        changed.await();
        continue;
      }
      Job.Key key = pending.getFirst().job().key;
      long deadline = arrivals.getFirst() + windowNanos;
      long left = deadline - System.nanoTime();
      if (countOf(key) < maxBatch && left > 0 && !closed) {
        changed.awaitNanos(left);
        continue;
      }
      List<Job.Row> batch = new ArrayList<>();
      Iterator<Job.Row> it = pending.iterator();
      Iterator<Long> at = arrivals.iterator();
      while (it.hasNext() && batch.size() < maxBatch) {
        Job.Row r = it.next();
        at.next();
        if (r.job().key.equals(key)) {
          batch.add(r);
          it.remove();
          at.remove();
          if (!hasPending(r.job())) {
            queuedJobs--;
          }
        }
      }
      return batch;
    }
  }

  private void dropCancelled() {
    Iterator<Job.Row> it = pending.iterator();
    Iterator<Long> at = arrivals.iterator();
    while (it.hasNext()) {
      Job.Row r = it.next();
      at.next();
      if (r.job().cancelled()) {
        it.remove();
        at.remove();
        if (!hasPending(r.job())) {
          queuedJobs--;
        }
      }
    }
  }

  private boolean hasPending(Job job) {
    for (Job.Row r : pending) {
      if (r.job() == job) {
        return true;
      }
    }
    return false;
  }

  private int countOf(Job.Key key) {
    int n = 0;
    for (Job.Row r : pending) {
      n += r.job().key.equals(key) ? 1 : 0;
    }
    return n;
  }

  /**
   * Stops accepting requests ({@link #submit} answers 503) and waits up to {@code timeoutMillis}
   * for the queued and running batches to finish.
   *
   * @return whether everything finished in time
   */
  boolean drain(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
      while (!pending.isEmpty() || running > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@link #drain} was called. */
  boolean closed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Thread t : workers) {
      t.interrupt();
    }
  }
}
