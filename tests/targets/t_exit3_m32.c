/* t_exit3_m32: a 32-bit program (built -m32 -nostdlib, so no 32-bit libc
 * is needed) that exits with status 3 through the i386 system call.  The
 * 64-bit shim cannot be loaded into it: a tracer must say so, and still
 * report the exit status 3. */
void _start(void)
{
	__asm__ volatile("movl $1, %eax\n\tmovl $3, %ebx\n\tint $0x80");
	for (;;)
		;
}
