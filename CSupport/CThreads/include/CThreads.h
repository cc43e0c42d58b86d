#ifndef RECUR_CTHREADS_H
#define RECUR_CTHREADS_H

/* A second thread for the kernel's two-way work (the two directions of a Bidirectional layer,
   or the two halves of a batch through a one-direction recurrent layer).
   One worker is started on first use and lives as long as the process; handing it work and
   waiting for it allocates nothing. */

typedef void (*recur_task)(void *context, long index);

/* Runs task(context, 0) on the calling thread and task(context, 1) on the worker — or on the
   calling thread too, when the worker has not taken it by the time task 0 is done — and returns
   when both are done. Calls from several threads at once are serialised. The worker is not
   started here: until recur_start_worker succeeds, both tasks run on the calling thread. */
void recur_run_pair(void *context, recur_task task);

/* Starts the worker now rather than at first use (so that its stack is allocated before a
   loop that must not allocate). Returns 0, or an errno when no thread can be created, in
   which case recur_run_pair runs both tasks on the calling thread. */
int recur_start_worker(void);

#endif
