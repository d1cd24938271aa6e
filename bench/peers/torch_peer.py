"""PyTorch CPU peer for `npm run bench -- vs-torch`: the same models, batch and thread count as dtrain.

Prints one JSON object on stdout. Each figure is the best of a few timed rounds after warm-up, with one
intra-op thread per process (dtrain's workers are single-threaded), so the ratios compare like with like.

  python3 torch_peer.py [--quick]
  python3 torch_peer.py --allreduce-rounds NBYTES

The second form serves the gloo all-reduce in rounds, so the bench can alternate them with dtrain's
under the same load: after "ready", each stdin line ITERS runs one round of ITERS all-reduces of NBYTES
(float32, N=2) and prints {"seconds": per all-reduce, slowest rank; "cpu": CPU s per all-reduce, mean
over the ranks}; 0 or end of input stops.
"""
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

BATCH = 256
QUICK = "--quick" in sys.argv


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def cnn():
    # 28x28x1 -> conv32 (same) -> pool -> conv64 (valid) -> pool -> dense10, as bench/vs-torch.ts.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 6 * 6, 10),
    )


def best_rate(step, samples, warmup, steps, rounds):
    """Best samples/s over `rounds` rounds of `steps` timed steps."""
    for _ in range(warmup):
        step()
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = max(best, samples * steps / (time.perf_counter() - t0))
    return best


def train_rate(model, x, y, steps):
    opt = torch.optim.Adadelta(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    return best_rate(step, x.shape[0], 3, steps, 3)


def ddp_worker(rank, world, port, batch, steps, out):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    torch.manual_seed(1)
    model = DistributedDataParallel(mlp())
    opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.Adadelta, lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch // world, 784)
    y = torch.randint(0, 10, (batch // world,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    best = 0.0
    for _ in range(3):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dist.barrier()
        best = max(best, batch * steps / (time.perf_counter() - t0))
    if rank == 0:
        out.put(best)
    dist.destroy_process_group()


def allreduce_member(rank, world, port, nbytes):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    t = torch.ones(nbytes // 4)
    for _ in range(3):
        dist.all_reduce(t)
    cmd = torch.zeros(1, dtype=torch.int64)
    if rank == 0:
        print("ready", flush=True)
    while True:
        if rank == 0:
            line = sys.stdin.readline().strip()
            cmd[0] = int(line) if line else 0
        dist.broadcast(cmd, 0)
        iters = int(cmd[0])
        if iters <= 0:
            break
        dist.barrier()
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(t)
        # The same statistic as dtrain's bench: wall time of the slowest rank, CPU time averaged.
        took = torch.tensor([(time.perf_counter() - t0) / iters, (time.process_time() - c0) / iters], dtype=torch.float64)
        slowest, cpu = took.clone(), took.clone()
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        dist.all_reduce(cpu)
        if rank == 0:
            print(json.dumps({"seconds": slowest[0].item(), "cpu": cpu[1].item() / world}), flush=True)
    dist.destroy_process_group()


def allreduce_rounds(nbytes):
    # Rank 0 runs here (it reads the commands); rank 1 in a spawned process.
    ctx = mp.get_context("spawn")
    port = 29500 + os.getpid() % 1000
    other = ctx.Process(target=allreduce_member, args=(1, 2, port, nbytes))
    other.start()
    allreduce_member(0, 2, port, nbytes)
    other.join()


def spawn(fn, world, *args):
    ctx = mp.get_context("spawn")
    out = ctx.SimpleQueue()
    port = 29500 + os.getpid() % 1000
    procs = [ctx.Process(target=fn, args=(r, world, port, *args, out)) for r in range(world)]
    for p in procs:
        p.start()
    value = out.get()
    for p in procs:
        p.join()
    return value


def adadelta_rate(n):
    p = torch.zeros(n, requires_grad=True)
    p.grad = torch.full((n,), 1e-3)
    opt = torch.optim.Adadelta([p], lr=1.0)
    return best_rate(opt.step, n, 2, 5, 3)


def main():
    if "--allreduce-rounds" in sys.argv:
        return allreduce_rounds(int(sys.argv[sys.argv.index("--allreduce-rounds") + 1]))
    torch.set_num_threads(1)
    torch.manual_seed(1)
    steps = 3 if QUICK else 10
    x = torch.randn(BATCH, 784)
    y = torch.randint(0, 10, (BATCH,))
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mlp_1": train_rate(mlp(), x, y, steps),
        "cnn_1": train_rate(cnn(), torch.randn(BATCH, 1, 28, 28), y, max(2, steps // 3)),
        "mlp_ddp_2": spawn(ddp_worker, 2, BATCH, steps),
        "adadelta_10m": adadelta_rate(10_000_000),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
