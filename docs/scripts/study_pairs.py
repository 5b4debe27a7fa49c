# Paired tests a study's report does not print, such as runs at different budgets (docs/results.md, the sudoku4
# study): the first arm against each other one, on the test items every run wrote (test-items.txt), run seeds 8-12
# matched in order; the difference with a 95% bootstrap interval (puzzles and seeds resampled), McNemar's exact test,
# and the F-test of equal variances. The study's report computes the same for its pairs (StudySummary.paired).
#   python3 study_pairs.py STUDY_DIR ARM=RUN_PREFIX ARM=RUN_PREFIX ...    (needs scipy)
# where a run is STUDY_DIR/runs/ARM-RUN_PREFIX-seedN, e.g. grpo=3.0E-5-0.5 es-paper=0.005-0.01-x0.3
import os, random, statistics as st, sys
from scipy import stats
root = os.path.join(sys.argv[1], 'runs')
chosen = dict(a.split('=') for a in sys.argv[2:])
seeds = [8, 9, 10, 11, 12]
def items(arm):
    out = []
    for s in seeds:
        p = os.path.join(root, f'{arm}-{chosen[arm]}-seed{s}', 'test-items.txt')
        out.append([int(c) for c in open(p).read().strip()])
    return out
def acc(runs): return [100 * sum(r) / len(r) for r in runs]
def paired(a, b, n=1000, seed=1):
    A, B = items(a), items(b)
    rnd = random.Random(seed); m = len(A[0]); diffs = []
    for _ in range(n):
        ss = [rnd.randrange(len(seeds)) for _ in seeds]; ii = [rnd.randrange(m) for _ in range(m)]
        d = sum(A[s][i] - B[s][i] for s in ss for i in ii) / (len(ss) * m)
        diffs.append(100 * d)
    diffs.sort()
    only_a = sum(1 for s in range(len(seeds)) for i in range(m) if A[s][i] and not B[s][i])
    only_b = sum(1 for s in range(len(seeds)) for i in range(m) if B[s][i] and not A[s][i])
    p = stats.binomtest(min(only_a, only_b), only_a + only_b, 0.5).pvalue
    return st.mean(acc(A)) - st.mean(acc(B)), diffs[int(0.025 * n)], diffs[int(0.975 * n) - 1], only_a, only_b, p
def ftest(a, b):
    va, vb = st.variance(acc(items(a))), st.variance(acc(items(b)))
    f = va / vb; d = len(seeds) - 1
    p = 2 * min(stats.f.cdf(f, d, d), stats.f.sf(f, d, d))
    return st.stdev(acc(items(a))), st.stdev(acc(items(b))), p
g = sys.argv[2].split('=')[0]  # the first arm named: what every other one is compared with
for arm in chosen:
    if arm == g: continue
    d, lo, hi, oa, ob, p = paired(g, arm)
    sa, sb, fp = ftest(g, arm)
    print(f'{g} - {arm:10s} {d:+5.1f} [{lo:+5.1f}, {hi:+5.1f}] McNemar {oa} vs {ob} p={p:.2g}; '
          f'sd {sa:.2f} vs {sb:.2f} F p={fp:.3f}')
