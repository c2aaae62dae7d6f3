// alloc_cpp: C++ with std::vector, std::map, std::string, threads and fork,
// printing a deterministic digest; check_shim runs it plain and preloaded
// and wants the same output.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long work(int seed)
{
	std::map<int, std::string> m;
	std::vector<std::unique_ptr<std::vector<int>>> v;
	unsigned long sum = 0;
	for (int i = 0; i < 20000; i++) {
		m[(i * 7919 + seed) % 5000] = std::to_string(i) + std::string(i % 40, 'x');
		v.emplace_back(new std::vector<int>(i % 100, i));
		if (v.size() > 300)
			v.erase(v.begin(), v.begin() + 150);
	}
	for (auto &kv : m)
		sum += kv.second.size() * (unsigned long)kv.first;
	for (auto &p : v)
		sum += p->size();
	return sum;
}

int main()
{
	std::vector<std::thread> ts;
	std::vector<unsigned long> res(4);
	for (int t = 0; t < 4; t++)
		ts.emplace_back([t, &res] { res[t] = work(t); });
	pid_t c = fork(); // while the threads allocate
	if (c == 0)
		_exit(work(9) % 200 ? 3 : 3);
	for (auto &t : ts)
		t.join();
	int st = 0;
	waitpid(c, &st, 0);
	for (int t = 0; t < 4; t++)
		std::printf("thread %d: %lu\n", t, res[t]);
	std::printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
