/*
 * Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 * The ASF licenses this file to You under the Apache License, Version 2.0
 * (the "License"); you may not use this file except in compliance with
 * the License.  You may obtain a copy of the License at
 *
 *    http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

package org.apache.spark.graphframes.graphx.lib

import org.apache.spark.graphframes.graphx.*

import scala.annotation.nowarn
import scala.collection.Map
import scala.collection.mutable
import scala.reflect.ClassTag

/**
 * Computes shortest paths to the given set of landmark vertices, returning a graph where each
 * vertex attribute is a map containing the shortest-path distance to each reachable landmark.
 */
object ShortestPaths extends Serializable {

  /** Stores a map from the vertex id of a landmark to the distance to that landmark. */
  type SPMap = Map[VertexId, Int]

  private def makeMap(x: (VertexId, Int)*) = Map(x: _*)

  private def incrementMap(spmap: SPMap): SPMap = spmap.map { case (v, d) => v -> (d + 1) }

  private def addMaps(spmap1: SPMap, spmap2: SPMap): SPMap = {
    // Mimics the optimization of breakOut, not present in Scala 2.13, while working in 2.12
    val map = mutable.Map[VertexId, Int]()
    (spmap1.keySet ++ spmap2.keySet).foreach { k =>
      map.put(k, math.min(spmap1.getOrElse(k, Int.MaxValue), spmap2.getOrElse(k, Int.MaxValue)))
    }
    map
  }

  /**
   * Computes shortest paths to the given set of landmark vertices.
   *
   * @tparam ED
   *   the edge attribute type (not used in the computation)
   *
   * @param graph
   *   the graph for which to compute the shortest paths
   * @param landmarks
   *   the list of landmark vertex ids. Shortest paths will be computed to each landmark.
   * @param isDirected
   *   should only directed paths be returned (default true)
   *
   * @return
   *   a graph where each vertex attribute is a map containing the shortest-path distance to each
   *   reachable landmark vertex.
   */
  def run[VD, ED: ClassTag](
      graph: Graph[VD, ED],
      landmarks: Seq[VertexId],
      isDirected: Boolean = true): Graph[SPMap, ED] = {
    val spGraph = graph.mapVertices { (vid, _) =>
      if (landmarks.contains(vid)) makeMap(vid -> 0) else makeMap()
    }

    val initialMessage = makeMap()

    @nowarn
    def vertexProgram(id: VertexId, attr: SPMap, msg: SPMap): SPMap = {
      addMaps(attr, msg)
    }

    val sendMessage: (EdgeTriplet[SPMap, _]) => Iterator[(VertexId, SPMap)] = if (isDirected) {
      (edge: EdgeTriplet[SPMap, _]) =>
        {
          val newAttr = incrementMap(edge.dstAttr)
          if (edge.srcAttr != addMaps(newAttr, edge.srcAttr)) Iterator((edge.srcId, newAttr))
          else Iterator.empty
        }
    } else { (edge: EdgeTriplet[SPMap, _]) =>
      {
        val newDstAttr = incrementMap(edge.dstAttr)
        val newSrcAttr = incrementMap(edge.srcAttr)

        val srcIter =
          if (edge.srcAttr != addMaps(newDstAttr, edge.srcAttr))
            Iterator((edge.srcId, newDstAttr))
          else Iterator.empty
        val dstIter =
          if (edge.dstAttr != addMaps(newSrcAttr, edge.dstAttr))
            Iterator((edge.dstId, newSrcAttr))
          else Iterator.empty

        srcIter ++ dstIter
      }
    }

    Pregel(spGraph, initialMessage)(vertexProgram, sendMessage, addMaps)
  }
}
