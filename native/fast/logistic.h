/* The logistic function over an array, for fast numerics' [yolo] layers (logistic.c). */
#ifndef DN_FAST_LOGISTIC_H
#define DN_FAST_LOGISTIC_H

/* out[i] = 1 / (1 + e^-in[i]) for i < n (in == out allowed): AVX-512 where the CPU has it (within
 * 2 ulp of Darknet's double expression), Darknet's own expression elsewhere. */
void dn_logistic(const float *in, float *out, int n);

#endif
