/* Lesson: in C++, new and delete allocate on the same heap as malloc, and a
 * std::vector keeps its elements in a heap block that it replaces as it
 * grows.  memlens shows `new Point` and `new int[16]` as heap blocks, their
 * deletes, and the vector's buffer growing 1, 2, 4, 8, 16 elements. */
#include <cstdio>
#include <vector>

struct Point {
	double x, y;
};

int main()
{
	Point *p = new Point{ 1.0, 2.0 };
	int *arr = new int[16];
	std::vector<int> v;

	for (int i = 0; i < 16; i++) {
		arr[i] = i;
		v.push_back(i);        /* reallocates at 1, 2, 4, 8, 16 */
	}
	std::printf("point (%.1f, %.1f), arr[15] = %d, v has %zu of %zu\n",
		    p->x, p->y, arr[15], v.size(), v.capacity());
	delete p;
	delete[] arr;
	return 0;
}
