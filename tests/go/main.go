// A static Go program (CGO_ENABLED=0) under ukmon: the runtime's threads are vCPUs of
// the process's VM. Goroutines on several threads, channels, a mutex, timers and a
// ticker, and os/exec of a copy of itself (fork, execve, waitid with WNOWAIT, wait4).
// With "serve ADDR": net/http (tests/suite-net.sh).
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		fmt.Println("child: the exec'd copy runs")
		os.Exit(3)
	}
	if len(os.Args) > 2 && os.Args[1] == "serve" { // net/http on a published port
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello from Go")
		})
		fmt.Println("serve:", http.ListenAndServe(os.Args[2], nil))
		os.Exit(1)
	}
	runtime.GOMAXPROCS(4)

	var wg sync.WaitGroup
	ch := make(chan int, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			s := 0
			for j := 0; j < 2000000; j++ {
				s += j % (n + 1)
			}
			ch <- n
		}(i)
	}
	wg.Wait()
	close(ch)
	sum := 0
	for v := range ch {
		sum += v
	}
	fmt.Println("goroutines: 8 done, their ids sum to", sum)

	var mu sync.Mutex
	total := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for j := 0; j < 10000; j++ {
				mu.Lock()
				total++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Println("mutex: 16 goroutines x 10000 =", total)

	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 1000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	fmt.Println("unbuffered channel ping-pong: 1000 round trips, value", v)

	t0 := time.Now()
	<-time.After(30 * time.Millisecond)
	fmt.Println("time.After(30ms) fired after 30ms or more:", time.Since(t0) >= 30*time.Millisecond)
	tk := time.NewTicker(5 * time.Millisecond)
	n := 0
	for range tk.C {
		n++
		if n == 5 {
			break
		}
	}
	tk.Stop()
	fmt.Println("ticker: 5 ticks")

	out, err := exec.Command("/proc/self/exe", "child").Output()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		fmt.Println("os/exec:", err)
	}
	fmt.Printf("os/exec: output %q, exit status %d\n", string(out), code)
}
